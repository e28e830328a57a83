"""The access log: who may read which taps, the filters, the CSV export (BOM, masked phones, formula-safe,
audit-logged), and the alerts (a rider's burst of denials, a gate offline during the lunch peak) recorded by the
periodic task."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from linli.access.models import AccessAlert, AlertKind, Gate, Tap
from linli.access.services.alerts import DENIALS_THRESHOLD, access_alert_sweep
from linli.access.services.taps import tap_decide
from linli.access.tests.factories import build_access_world
from linli.core.models import AuditLog

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def world(settings: Any) -> Any:
    cache.clear()
    settings.LINLI_ACCESS_OPEN_TIMEOUT = 0.1
    w = build_access_world()
    tap_decide(user=w.rider, gate_token=w.token(w.gx))  # allow at X
    tap_decide(user=w.rider_susp, gate_token=w.token(w.gx))  # deny at X
    tap_decide(user=w.rider_mt, gate_token=w.token(w.gy))  # allow at Y
    tap_decide(user=w.nobody, gate_token="v1.bogus")  # unknown gate: street unknown
    return w


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def ids(resp: Any) -> list[str]:
    return [row["gate"] for row in resp.json()["items"]]


def test_each_role_sees_its_own_taps(world: Any) -> None:
    gx, gy = world.gx.public_id, world.gy.public_id
    assert set(ids(client_for(world.pm_x).get("/api/v1/access/taps"))) == {gx}
    assert set(ids(client_for(world.pm_y).get("/api/v1/access/taps"))) == {gy}
    for staff in (world.admin, world.safety):
        assert sorted(ids(client_for(staff).get("/api/v1/access/taps"))) == sorted([gx, gx, gy])
    assert client_for(world.admin_b).get("/api/v1/access/taps").json()["count"] == 0
    for outsider in (world.rider, world.station, world.nobody):
        assert client_for(outsider).get("/api/v1/access/taps").status_code == 403
        assert client_for(outsider).get("/access/audit/").status_code == 403
    # pm_x filtering for gate Y gets nothing, not Y's taps.
    assert client_for(world.pm_x).get(f"/api/v1/access/taps?gate={gy}").json()["count"] == 0


def test_filters(world: Any) -> None:
    c = client_for(world.admin)
    assert c.get("/api/v1/access/taps?decision=deny").json()["items"][0]["reason"] == "rider_suspended"
    assert c.get("/api/v1/access/taps?reason=rider_suspended").json()["count"] == 1
    search = c.post("/api/v1/access/taps/search", {"phone": "13700000006"}, content_type="application/json")
    row = search.json()["items"][0]
    assert row["rider"] == "137****0006" and row["rider_name"] == "张召" and row["decision"] == "allow"
    assert c.get("/api/v1/access/taps?phone=0006").json()["count"] == 1  # a number's tail may be in a URL
    today = timezone.localdate().isoformat()
    assert c.get(f"/api/v1/access/taps?date_from={today}&date_to={today}").json()["count"] == 3
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert c.get(f"/api/v1/access/taps?date_from={tomorrow}").json()["count"] == 0
    assert c.get("/api/v1/access/taps?decision=maybe").status_code == 422
    page = c.get("/access/audit/?decision=deny")
    html = page.content.decode()
    assert page.status_code == 200 and "rider_suspended" in html and 'data-decision="allow"' not in html
    page = c.post("/access/audit/", {"phone": "13700000006"}).content.decode()
    assert 'data-count="1"' in page and "137****0006" in page.split('id="tap-table"')[1]


def test_a_search_by_phone_never_puts_the_number_in_a_url(world: Any) -> None:
    """Query strings end up in access logs: a whole number in one is refused (422 phone_in_url) by the list and
    the export; the page's form and its CSV export post instead."""
    c = client_for(world.admin)
    for url in ("/api/v1/access/taps?phone=13700000006", "/api/v1/access/taps/export.csv?phone=137%200000%200006"):
        resp = c.get(url)
        assert resp.status_code == 422 and resp.json()["code"] == "phone_in_url"
    html = c.get("/access/audit/").content.decode()
    assert 'method="post" class="filters" id="audit-filters"' in html and "export.csv?" not in html
    assert 'data-count="3"' in c.get("/access/audit/?phone=13700000006").content.decode()  # GET ignores a phone
    csv_resp = c.post("/access/audit/", {"phone": "13700000006", "export": "csv"})
    assert csv_resp.status_code == 200 and csv_resp["Content-Type"].startswith("text/csv")
    body = csv_resp.content.decode("utf-8-sig")
    assert len(body.strip().splitlines()) == 2 and "137****0006" in body and "13700000006" not in body
    api_csv = c.post("/api/v1/access/taps/export.csv", {"phone": "13700000006"}, content_type="application/json")
    assert api_csv.status_code == 200 and api_csv.content.decode("utf-8-sig") == body
    assert AuditLog.objects.filter(action="access.export").first().data["filters"]["phone"] == "137****0006"


def test_csv_export_is_masked_formula_safe_and_logged(world: Any) -> None:
    Tap.objects.filter(rider=world.rider).update(outcome="timeout")
    world.rider.display_name = "=HYPERLINK(1)"  # the rider's one name (verification writes it)
    world.rider.save(update_fields=["display_name"])
    c = client_for(world.pm_x)
    resp = c.get("/api/v1/access/taps/export.csv?decision=allow")
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/csv")
    body = resp.content.decode("utf-8")
    assert body.startswith("\ufeff时间 time,")
    lines = body.strip().splitlines()
    assert len(lines) == 2  # header + pm_x's one allowed tap
    assert "137****0006" in lines[1] and "+8613700000006" not in body
    assert ",'=HYPERLINK(1)," in lines[1]
    log = AuditLog.objects.get(action="access.export")
    assert log.actor == world.pm_x and log.data["filters"]["decision"] == "allow"


def test_alert_sweep_records_rider_denial_bursts_once(world: Any) -> None:
    for _ in range(DENIALS_THRESHOLD):
        tap_decide(user=world.nobody, gate_token=world.token(world.gx))
    first = access_alert_sweep()
    assert first["rider_denials"] == 1
    assert access_alert_sweep()["rider_denials"] == 0  # idempotent in the same period
    alert = AccessAlert.objects.get(kind=AlertKind.RIDER_DENIALS)
    assert alert.rider == world.nobody and alert.street == world.street
    assert alert.data["reasons"] == ["rider_unverified"]
    # The property manager of X and the street staff see it; Y's manager does not (it is street-wide).
    assert client_for(world.admin).get("/api/v1/access/alerts").json()[0]["kind"] == "rider_denials"
    assert client_for(world.pm_y).get("/api/v1/access/alerts").json() == []
    assert 'data-kind="rider_denials"' in client_for(world.safety).get("/access/audit/").content.decode()


def test_gate_offline_in_the_lunch_peak_is_an_alert(world: Any) -> None:
    lunch = datetime.now(SH).replace(hour=12, minute=0, second=0, microsecond=0)
    evening = lunch.replace(hour=18)
    Gate.objects.filter(pk=world.gx.pk).update(last_heartbeat_at=lunch - timedelta(minutes=5))
    Gate.objects.filter(pk=world.gy.pk).update(last_heartbeat_at=lunch - timedelta(seconds=30))
    assert access_alert_sweep(now=evening)["gate_offline_peak"] == 0  # not the peak
    assert access_alert_sweep(now=lunch)["gate_offline_peak"] == 1
    later = lunch + timedelta(minutes=10)
    Gate.objects.filter(pk=world.gy.pk).update(last_heartbeat_at=later - timedelta(seconds=30))
    assert access_alert_sweep(now=later)["gate_offline_peak"] == 0  # X again: once a day
    alert = AccessAlert.objects.get(kind=AlertKind.GATE_OFFLINE_PEAK)
    assert alert.gate == world.gx and alert.compound == world.x
    assert [a["gate"] for a in client_for(world.pm_x).get("/api/v1/access/alerts").json()] == [world.gx.public_id]
    assert client_for(world.pm_y).get("/api/v1/access/alerts").json() == []


def test_the_celery_task_runs_the_sweep(world: Any) -> None:
    from linli.access.tasks import alert_sweep

    lunch = datetime.now(SH).replace(hour=11, minute=30, second=0, microsecond=0)
    Gate.objects.update(last_heartbeat_at=None)
    result = alert_sweep.delay(lunch.isoformat()).get()
    assert result == {"rider_denials": 0, "gate_offline_peak": 2}
    with pytest.raises(ValueError):
        alert_sweep("yesterday")
