"""The service menu: claims none / partial / complete, never more people than needed, the claim's states,
unverified teams refused, the station's confirmation credits the claimant once, residents rate."""

from __future__ import annotations

import pytest

from linli.core.errors import Problem
from linli.core.tests.factories import UserFactory
from linli.volunteers.models import ServiceItem
from linli.volunteers.services import ledger, menu, profiles
from linli.volunteers.tests.factories import VolWorld, credit_code

pytestmark = pytest.mark.django_db


def coverage(world: VolWorld) -> str:
    return ServiceItem.objects.get(pk=world.item.pk).coverage


def test_claims_go_none_partial_complete_and_never_over(world: VolWorld) -> None:
    assert coverage(world) == "none"
    claim = menu.claim_create(item=world.item, user=world.manager, people=3, team=world.company)
    assert coverage(world) == "partial"
    with pytest.raises(Problem) as over:
        menu.claim_create(item=world.item, user=world.manager, people=2, team=world.company)
    assert over.value.code == "item_fully_claimed"
    menu.claim_create(item=world.item, user=world.retired)  # a volunteer takes the last place
    assert coverage(world) == "complete"
    menu.claim_cancel(claim=claim, actor=world.manager)
    assert ServiceItem.objects.get(pk=world.item.pk).claimed == 1


def test_report_confirm_credits_the_team_once(world: VolWorld) -> None:
    claim = menu.claim_create(item=world.item, user=world.manager, people=2, team=world.company)
    with pytest.raises(Problem) as early:
        menu.claim_confirm(claim=claim, actor=world.staff)
    assert early.value.code == "claim_invalid_transition"
    menu.claim_report(claim=claim, actor=world.manager, served=30, minutes=480, report="理发30人", photos=["a.jpg"])
    resident = UserFactory()
    menu.claim_rate(claim=claim, user=resident, stars=5)
    with pytest.raises(Problem):
        menu.claim_rate(claim=claim, user=resident, stars=4)
    with pytest.raises(Problem) as not_staff:
        menu.claim_confirm(claim=claim, actor=world.manager)
    assert not_staff.value.code == "permission_denied"
    menu.claim_confirm(claim=claim, actor=world.staff)
    assert claim.status == "confirmed"
    assert ledger.account_for(world.company).balance == 480
    with pytest.raises(Problem):
        menu.claim_confirm(claim=claim, actor=world.staff)
    assert ledger.account_for(world.company).balance == 480
    assert list(claim.events.values_list("to_status", flat=True)) == ["delivered", "confirmed"]


def test_rejected_delivery_gives_the_places_back(world: VolWorld) -> None:
    claim = menu.claim_create(item=world.item, user=world.manager, people=4, team=world.company)
    menu.claim_report(claim=claim, actor=world.manager, served=0, minutes=60)
    menu.claim_reject(claim=claim, actor=world.staff, note="未到场")
    assert coverage(world) == "none"


def test_unverified_enterprises_and_bad_credit_codes(world: VolWorld) -> None:
    boss = UserFactory()
    with pytest.raises(Problem) as bad:
        profiles.team_register(street=world.street, name="某酒店", kind="hotel", credit_code="91310000123456789X",
                               manager=boss)  # fmt: skip
    assert bad.value.code == "credit_code_invalid"
    hotel = profiles.team_register(
        street=world.street, name="某酒店", kind="hotel", credit_code=credit_code(7), manager=boss
    )
    with pytest.raises(Problem) as unverified:
        menu.claim_create(item=world.item, user=boss, people=1, team=hotel)
    assert unverified.value.code == "team_not_verified"
    with pytest.raises(Problem) as not_manager:
        menu.claim_create(item=world.item, user=world.retired, people=1, team=world.company)
    assert not_manager.value.code == "permission_denied"


def test_credit_code_checksum() -> None:
    assert profiles.credit_code_valid("91350100M000100Y43")  # a published example
    assert not profiles.credit_code_valid("91350100M000100Y44")
    assert profiles.credit_code_valid(credit_code(3))
