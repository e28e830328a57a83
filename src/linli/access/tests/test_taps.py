"""The tap: every deny reason, the attacks of issue 6 (a photographed QR after its window, forged and altered tokens,
another gate's token, a suspended rider, the rate limit, no sign-in, another street's rider), policy hours across
midnight, heartbeat and offline, and what the answer tells a rider (nothing about residents)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from linli.access.gatewire import protocol
from linli.access.models import Decision, Gate, Tap
from linli.access.services import gates as gate_services
from linli.access.services import policy as policy_services
from linli.access.services import riders as rider_services
from linli.access.services.taps import tap_decide
from linli.access.tests.factories import X_LAT, X_LNG, build_access_world

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def world(settings: Any) -> Any:
    cache.clear()
    settings.LINLI_ACCESS_OPEN_TIMEOUT = 0.2  # no controller listens in these tests: the wait times out
    return build_access_world()


def tap(user: Any, token: str, **location: float) -> dict[str, Any]:
    client = Client()
    client.force_login(user)
    resp = client.post("/api/v1/access/taps", {"gate_token": token, **location}, content_type="application/json")
    assert resp.status_code == 200, resp.content
    return resp.json()


def test_verified_rider_is_allowed_and_the_tap_is_recorded(world: Any) -> None:
    answer = tap(world.rider, world.token(world.gx))
    assert answer["decision"] == "allow" and answer["reason"] is None
    assert answer["gate"] == {"id": world.gx.public_id, "name": "南门", "compound": "幸福小区"}
    assert answer["rider"]["name"] == "张召" and answer["rider"]["partner"] == "饿了么"
    assert answer["expires_at"] is not None
    # Nobody answered the open command: the gate is not reported opened.
    assert answer["opened"] is False and answer["outcome"] in ("timeout", "broker_down")
    row = Tap.objects.get(pk=answer["tap_id"])
    assert (row.decision, row.rider, row.gate, row.outcome) == (
        Decision.ALLOW,
        world.rider,
        world.gx,
        answer["outcome"],
    )
    # Riders learn nothing about residents: the answer names only the gate, the compound and the rider.
    assert set(answer) == {
        "decision",
        "reason",
        "reason_text",
        "gate",
        "expires_at",
        "opened",
        "outcome",
        "tap_id",
        "rider",
    }


def test_taps_without_sign_in_get_401_problem_json(world: Any) -> None:
    resp = Client().post("/api/v1/access/taps", {"gate_token": world.token(world.gx)}, content_type="application/json")
    assert resp.status_code == 401
    assert resp["Content-Type"].startswith("application/problem+json")
    assert resp.json()["code"] == "not_authenticated"
    assert not Tap.objects.exists()


def test_session_taps_need_the_csrf_token(world: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.rider)
    resp = client.post("/api/v1/access/taps", {"gate_token": world.token(world.gx)}, content_type="application/json")
    assert resp.status_code == 403 and resp.json()["code"] == "csrf_failed"
    assert not Tap.objects.exists()


def test_bearer_token_taps_work(world: Any) -> None:
    from linli.core.services import token_create

    raw = token_create(user=world.rider, name="phone")
    resp = Client().post(
        "/api/v1/access/taps",
        {"gate_token": world.token(world.gx)},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert resp.status_code == 200 and resp.json()["decision"] == "allow"


def test_a_photographed_qr_code_fails_after_its_window(world: Any) -> None:
    old = time.time() - protocol.TOKEN_WINDOW_SECONDS - protocol.GRACE_SECONDS - 1
    assert tap(world.rider, world.token(world.gx, now=old))["reason"] == "token_expired"
    assert not Tap.objects.filter(decision=Decision.ALLOW).exists()
    # The code on the display now works.
    assert tap(world.rider, world.token(world.gx))["decision"] == "allow"


def test_forged_and_altered_tokens_are_invalid(world: Any) -> None:
    good = world.token(world.gx)
    prefix, public_id, window, mac = good.split(".")
    forged_key = protocol.make_gate_token(public_id, b"\x00" * 32, time.time())
    flipped = mac[:-1] + ("A" if mac[-1] != "A" else "B")
    for token in (
        forged_key,  # signed with a guessed key
        f"{prefix}.{public_id}.{int(window) + 1}.{mac}",  # window moved forward, MAC kept
        f"{prefix}.{public_id}.{window}.{flipped}",  # MAC altered
        f"{prefix}.gaaaaaaaaaaaa.{window}.{mac}",  # another (unknown) gate id
        "not-a-token",
        "",
        "v1." + "x" * 90,
    ):
        answer = tap(world.rider, token)
        assert answer["decision"] == "deny" and answer["reason"] == "token_invalid", token
    assert not Tap.objects.filter(decision=Decision.ALLOW).exists()


def test_a_token_of_another_gate_does_not_open_this_one(world: Any) -> None:
    """A token names its gate; swapping the id keeps the MAC of the other gate's key and fails."""
    token_y = world.token(world.gy)
    _, _, window, mac = token_y.split(".")
    answer = tap(world.rider, f"v1.{world.gx.public_id}.{window}.{mac}")
    assert answer["reason"] == "token_invalid"
    # And a token made with gate Y's key opens (is recorded for) gate Y, never X.
    assert tap(world.rider, token_y)["gate"]["id"] == world.gy.public_id


def test_a_window_far_in_the_future_is_invalid(world: Any) -> None:
    future = time.time() + 5 * protocol.TOKEN_WINDOW_SECONDS
    assert tap(world.rider, world.token(world.gx, now=future))["reason"] == "token_invalid"


def test_an_inactive_gate_opens_for_nobody(world: Any) -> None:
    gate_services.gate_update(gate=world.gx, actor=None, active=False)
    assert tap(world.rider, world.token(world.gx))["reason"] == "token_invalid"


def test_a_rekeyed_gate_refuses_tokens_of_the_old_secret(world: Any) -> None:
    old = world.token(world.gx)
    gate_services.gate_rekey(gate=world.gx, actor=None)
    assert tap(world.rider, old)["reason"] == "token_invalid"


def test_unverified_suspended_revoked_and_expired_riders_are_denied(world: Any) -> None:
    token = world.token(world.gx)
    assert tap(world.nobody, token)["reason"] == "rider_unverified"
    susp = tap(world.rider_susp, token)
    assert susp["reason"] == "rider_suspended" and susp["rider"] is None
    assert "暂停" in susp["reason_text"]
    # Suspension takes effect at the next tap, with no cache in the way.
    assert tap(world.rider, token)["decision"] == "allow"
    rider_services.rider_suspend(credential=world.credentials["rider"], actor=None)
    assert tap(world.rider, token)["reason"] == "rider_suspended"
    rider_services.rider_reinstate(credential=world.credentials["rider"], actor=None)
    assert tap(world.rider, token)["decision"] == "allow"
    rider_services.rider_revoke(credential=world.credentials["rider"], actor=None)
    assert tap(world.rider, token)["reason"] == "rider_unverified"
    credential = world.credentials["rider_mt"]
    credential.expires_at = timezone.now() - timedelta(seconds=1)
    credential.save(update_fields=["expires_at"])
    assert tap(world.rider_mt, token)["reason"] == "rider_unverified"


def test_a_suspended_rider_stays_out_with_a_bearer_token_cached(world: Any) -> None:
    """Bearer lookups are cached per process; the credential is not: suspension still applies at once."""
    from linli.core.services import token_create

    raw = token_create(user=world.rider, name="phone")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    def post() -> dict[str, Any]:
        return client.post(
            "/api/v1/access/taps", {"gate_token": world.token(world.gx)}, content_type="application/json"
        ).json()

    assert post()["decision"] == "allow"
    rider_services.rider_suspend(credential=world.credentials["rider"], actor=None)
    assert post()["reason"] == "rider_suspended"


def test_partners_not_allowed_and_another_streets_rider(world: Any) -> None:
    policy_services.policy_set(compound=world.x, actor=None, partners=["eleme"])
    token = world.token(world.gx)
    assert tap(world.rider, token)["decision"] == "allow"
    assert tap(world.rider_mt, token)["reason"] == "partner_not_allowed"
    # A rider verified only by street B, whose partner street A does not know: not admitted by default.
    assert tap(world.rider_b, token)["reason"] == "partner_not_allowed"
    # Admitting other streets' riders still applies the partner list ...
    policy_services.policy_set(compound=world.x, actor=None, other_streets=True)
    assert tap(world.rider_b, token)["reason"] == "partner_not_allowed"
    # ... and with every partner allowed they may enter.
    policy_services.policy_set(compound=world.x, actor=None, partners=[])
    assert tap(world.rider_b, token)["decision"] == "allow"


def test_rider_access_off_and_outside_hours(world: Any) -> None:
    token = world.token(world.gx)
    policy_services.policy_set(compound=world.x, actor=None, riders_allowed=False)
    assert tap(world.rider, token)["reason"] == "outside_hours"
    now = timezone.localtime(timezone.now(), SH)
    start = (now + timedelta(hours=1)).strftime("%H:%M")
    end = (now + timedelta(hours=2)).strftime("%H:%M")
    policy_services.policy_set(compound=world.x, actor=None, riders_allowed=True, hours=f"{start}-{end}")
    assert tap(world.rider, token)["reason"] == "outside_hours"
    start = (now - timedelta(hours=1)).strftime("%H:%M")
    policy_services.policy_set(compound=world.x, actor=None, hours=f"{start}-{end}")
    assert tap(world.rider, token)["decision"] == "allow"


@pytest.mark.parametrize(
    ("hours", "local", "inside"),
    [
        ("22:00-06:00", "23:30", True),
        ("22:00-06:00", "00:00", True),
        ("22:00-06:00", "05:59", True),
        ("22:00-06:00", "06:00", False),
        ("22:00-06:00", "12:00", False),
        ("22:00-06:00", "21:59", False),
        ("07:00-22:00", "07:00", True),
        ("07:00-22:00", "22:00", False),
        ("18:00-24:00", "23:59", True),
        ("18:00-24:00", "00:01", False),
        ("", "03:00", True),
    ],
)
def test_policy_hours_across_midnight(world: Any, hours: str, local: str, inside: bool) -> None:
    policy = policy_services.policy_set(compound=world.x, actor=None, hours=hours)
    hh, mm = (int(p) for p in local.split(":"))
    at = datetime(2026, 3, 4, hh, mm, tzinfo=SH)
    assert policy_services.within_hours(policy, at) is inside


def test_bad_hours_are_refused(world: Any) -> None:
    from linli.core.errors import Problem

    for bad in ("25:00-06:00", "7-22", "08:00-08:00", "22:00-24:30"):
        with pytest.raises(Problem) as exc:
            policy_services.policy_set(compound=world.x, actor=None, hours=bad)
        assert exc.value.code == "validation_error"


def test_rate_limit_per_rider_per_hour(world: Any) -> None:
    policy_services.policy_set(compound=world.x, actor=None, max_per_hour=2)
    token = world.token(world.gx)
    assert [tap(world.rider, token)["decision"] for _ in range(2)] == ["allow", "allow"]
    answer = tap(world.rider, token)
    assert answer["decision"] == "deny" and answer["reason"] == "rate_limited"
    # Another rider has their own count; another compound too.
    assert tap(world.rider_mt, token)["decision"] == "allow"
    assert tap(world.rider, world.token(world.gy))["decision"] == "allow"


def test_tap_flood_is_rate_limited(world: Any) -> None:
    from linli.access.services.taps import TAPS_PER_MINUTE

    for _ in range(TAPS_PER_MINUTE):
        tap_decide(user=world.nobody, gate_token=world.token(world.gx))
    assert tap(world.nobody, world.token(world.gx))["reason"] == "rate_limited"


def test_gate_offline_after_90_seconds_without_heartbeat(world: Any) -> None:
    now = timezone.now()
    assert gate_services.gate_online(world.gx, now)
    Gate.objects.filter(pk=world.gx.pk).update(last_heartbeat_at=now - timedelta(seconds=89))
    world.gx.refresh_from_db()
    assert gate_services.gate_online(world.gx, now)
    assert tap(world.rider, world.token(world.gx))["decision"] == "allow"
    Gate.objects.filter(pk=world.gx.pk).update(last_heartbeat_at=now - timedelta(seconds=91))
    world.gx.refresh_from_db()
    assert not gate_services.gate_online(world.gx, timezone.now())
    assert tap(world.rider, world.token(world.gx))["reason"] == "gate_offline"
    Gate.objects.filter(pk=world.gx.pk).update(last_heartbeat_at=None)
    assert tap(world.rider, world.token(world.gx))["reason"] == "gate_offline"
    # A heartbeat brings it back.
    assert gate_services.gate_heartbeat(public_id=world.gx.public_id)
    assert tap(world.rider, world.token(world.gx))["decision"] == "allow"


def test_too_far_when_the_location_is_given(world: Any, settings: Any) -> None:
    token = world.token(world.gx)
    near = tap(world.rider, token, lat=X_LAT + 0.001, lng=X_LNG)  # ~111 m
    assert near["decision"] == "allow"
    far = tap(world.rider, token, lat=X_LAT + 0.01, lng=X_LNG)  # ~1.1 km
    assert far["reason"] == "too_far"
    assert Tap.objects.get(pk=far["tap_id"]).distance_m > 1000
    settings.LINLI_ACCESS_MAX_DISTANCE_M = 2000
    assert tap(world.rider, token, lat=X_LAT + 0.01, lng=X_LNG)["decision"] == "allow"


def test_bad_locations_are_validation_errors(world: Any) -> None:
    client = Client()
    client.force_login(world.rider)
    resp = client.post(
        "/api/v1/access/taps",
        {"gate_token": world.token(world.gx), "lat": 123, "lng": 0},
        content_type="application/json",
    )
    assert resp.status_code == 422 and resp.json()["code"] == "validation_error"


def test_every_deny_reason_has_words_in_both_languages(world: Any) -> None:
    from linli.access.selectors import REASONS, reason_text

    assert set(REASONS) == {
        "token_expired",
        "token_invalid",
        "rider_unverified",
        "rider_suspended",
        "outside_hours",
        "partner_not_allowed",
        "rate_limited",
        "gate_offline",
        "too_far",
    }
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.nobody)
    answer = client.post(
        "/api/v1/access/taps", {"gate_token": world.token(world.gx)}, content_type="application/json"
    ).json()
    assert answer["reason_text"] == reason_text("rider_unverified", "en")
    assert all(reason_text(r, "zh-hans") != reason_text(r, "en") for r in REASONS)


def test_the_tap_path_reads_little(world: Any, django_assert_num_queries: Any) -> None:
    token = world.token(world.gx)
    with django_assert_num_queries(3):  # gate+compound+policy+credential, insert tap, command result
        result = tap_decide(user=world.rider, gate_token=token)
    assert result.decision == "allow"
    with django_assert_num_queries(2):  # a deny: the read and the audit row
        denied = tap_decide(user=world.rider_susp, gate_token=token)
    assert denied.reason == "rider_suspended"
    with django_assert_num_queries(1):  # a token naming no gate: only the audit row
        assert tap_decide(user=world.rider, gate_token="v1.gaaaaaaaaaaaa.1.x").reason == "token_invalid"
