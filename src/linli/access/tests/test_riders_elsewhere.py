"""A rider as the other domains see them: one name everywhere (the one staff verified), and a suspended rider is
never offered for a meals run nor can be given one."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from linli.access.models import RiderCredential
from linli.access.selectors import tap_row
from linli.access.services import riders as rider_services
from linli.access.services.taps import tap_answer, tap_decide
from linli.access.tests.factories import build_access_world
from linli.core.errors import Problem
from linli.core.models import Role, RoleAssignment
from linli.meals.models import DeliveryRun
from linli.meals.services import delivery
from linli.meals.tests.factories import KitchenFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> Any:
    return build_access_world()


def _run_and_operator(world: Any) -> tuple[DeliveryRun, Any]:
    kitchen = KitchenFactory(street=world.street)
    operator = UserFactory()
    RoleAssignment.objects.create(user=operator, street=world.street, role=Role.KITCHEN_OPERATOR)
    run = DeliveryRun.objects.create(kitchen=kitchen, date=timezone.localdate(), slot="lunch", name="A")
    return run, operator


def test_the_verified_name_is_the_riders_name_on_the_gate_the_runs_and_the_log(world):
    rider = world.rider
    rider.refresh_from_db()
    assert rider.display_name == "张召"  # verification wrote the verified real name
    run, operator = _run_and_operator(world)
    delivery.run_assign(run=run, rider=rider, actor=operator)
    assert delivery.run_to_dict(run)["rider"] == "张召"
    result = tap_decide(gate_token=world.token(world.gx), user=rider)
    assert tap_answer(result, lang="zh-hans")["rider"]["name"] == "张召"
    assert tap_row(result.tap)["rider_name"] == "张召"
    rider_services.rider_verify(
        street=world.street, phone=rider.phone, partner="饿了么", real_name="张召召", actor=None
    )
    rider.refresh_from_db()
    assert rider.display_name == "张召召" and delivery.run_to_dict(run)["rider"] == "张召召"


def test_a_suspended_rider_is_not_offered_and_cannot_be_assigned(world):
    run, operator = _run_and_operator(world)
    client = Client()
    client.force_login(operator)
    html = client.get(f"/kitchen/runs/?kitchen={run.kitchen_id}&date={run.date.isoformat()}&slot=lunch").content
    page = html.decode()
    suspended = world.rider_susp
    assert f'<option value="{world.rider.pk}"' in page
    assert f'<option value="{suspended.pk}"' not in page
    with pytest.raises(Problem) as exc:
        delivery.run_assign(run=run, rider=suspended, actor=operator)
    assert exc.value.code == "rider_unavailable" and "暂停" in str(exc.value.detail)
    resp = client.post(
        f"/api/v1/meals/runs/{run.pk}/assign", {"rider_id": suspended.pk}, content_type="application/json"
    )
    assert resp.status_code == 409 and resp.json()["code"] == "rider_unavailable"
    rider_services.rider_reinstate(credential=world.credentials["rider_susp"], actor=None)
    delivery.run_assign(run=run, rider=suspended, actor=operator)


def test_an_expired_rider_is_held_back_too(world):
    run, operator = _run_and_operator(world)
    RiderCredential.objects.filter(pk=world.credentials["rider"].pk).update(expires_at=timezone.now())
    with pytest.raises(Problem) as exc:
        delivery.run_assign(run=run, rider=world.rider, actor=operator)
    assert exc.value.code == "rider_unavailable"
