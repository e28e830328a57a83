"""Gates, policies and rider credentials through the API and the pages, permissions per role and per street (a
property manager of compound X cannot see or change compound Y's gates), the display link and its QR endpoint,
and partners' signed assertions."""

from __future__ import annotations

import secrets
import time
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from linli.access.gatewire import protocol
from linli.access.models import AccessPolicy, CredentialStatus, Gate, RiderCredential, VerifiedBy
from linli.access.services import riders as rider_services
from linli.access.tests.factories import build_access_world
from linli.core.models import AuditLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> Any:
    cache.clear()
    return build_access_world()


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


# ------------------------------------------------------------------------------------------------ gates


def test_property_manager_registers_a_gate_and_sees_the_secret_once(world: Any) -> None:
    c = client_for(world.pm_x)
    resp = c.post(
        f"/api/v1/access/compounds/{world.x.pk}/gates",
        {"name": "西门", "device_id": "dev-w"},
        content_type="application/json",
    )
    assert resp.status_code == 201
    body = resp.json()
    secret, public_id = body["secret"], body["gate"]["id"]
    assert len(secret) == 43 and protocol.is_public_id(public_id)
    gate = Gate.objects.get(public_id=public_id)
    # Only the derived keys are kept: they match the secret, and the secret appears nowhere in the database row.
    assert (bytes(gate.token_key), bytes(gate.command_key)) == protocol.derive_keys(secret)
    assert secret not in str(Gate.objects.filter(pk=gate.pk).values().get())
    assert body["gate"]["online"] is False
    # Reading the gate again never shows the secret.
    again = c.get(f"/api/v1/access/gates/{public_id}").json()
    assert "secret" not in again and secret not in str(again)
    assert AuditLog.objects.filter(action="access.gate_create", object_id=str(gate.pk)).exists()


def test_gate_page_form_shows_the_secret_in_the_answer_only(world: Any) -> None:
    c = client_for(world.pm_x)
    resp = c.post(f"/access/compounds/{world.x.pk}/", {"action": "add_gate", "name": "东门", "transport": "mqtt"})
    assert resp.status_code == 201
    gate = Gate.objects.get(compound=world.x, name="东门")
    html = resp.content.decode()
    assert gate.public_id in html and 'id="new-gate-secret"' in html
    assert 'id="new-gate-secret"' not in c.get(f"/access/compounds/{world.x.pk}/").content.decode()


def test_property_manager_of_x_cannot_see_or_change_y(world: Any) -> None:
    c = client_for(world.pm_x)
    gy = world.gy.public_id
    assert c.get(f"/api/v1/access/gates/{gy}").status_code == 404
    assert c.patch(f"/api/v1/access/gates/{gy}", {"name": "x"}, content_type="application/json").status_code == 404
    assert c.get(f"/api/v1/access/gates/{gy}/qr").status_code == 404
    assert c.post(f"/api/v1/access/gates/{gy}/display-link").status_code == 404
    assert (
        c.post(
            f"/api/v1/access/compounds/{world.y.pk}/gates", {"name": "n"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert (
        c.put(
            f"/api/v1/access/compounds/{world.y.pk}/policy", {"riders_allowed": False}, content_type="application/json"
        ).status_code
        == 404
    )
    assert c.get(f"/access/compounds/{world.y.pk}/").status_code == 404
    assert c.get(f"/access/gates/{gy}/").status_code == 404
    assert c.get(f"/access/gates/{gy}/display/").status_code == 404
    assert c.post(f"/access/gates/{gy}/", {"action": "rekey"}).status_code == 404
    assert [x["external_id"] for x in c.get("/api/v1/access/compounds").json()] == ["cx"]
    assert Gate.objects.get(pk=world.gy.pk).name == "北门"
    assert not AccessPolicy.objects.filter(compound=world.y).exists()
    # The street admin manages both; street B's admin neither.
    admin = client_for(world.admin)
    assert {x["external_id"] for x in admin.get("/api/v1/access/compounds").json()} == {"cx", "cy"}
    assert admin.get(f"/api/v1/access/gates/{gy}").status_code == 200
    other = client_for(world.admin_b)
    assert other.get(f"/api/v1/access/gates/{gy}").status_code == 404
    assert [x["external_id"] for x in other.get("/api/v1/access/compounds").json()] == ["cz"]


def test_riders_and_residents_cannot_manage_gates(world: Any) -> None:
    for user in (world.rider, world.nobody, world.safety, world.station):
        c = client_for(user)
        assert c.get(f"/api/v1/access/gates/{world.gx.public_id}").status_code == 404
        assert c.get("/api/v1/access/compounds").json() == []
    assert client_for(world.rider).get("/access/").status_code == 403
    assert Client().get("/access/").status_code == 302


def test_a_compound_manager_needs_the_property_manager_role_in_that_street(world: Any) -> None:
    from linli.core.models import RoleAssignment

    RoleAssignment.objects.filter(user=world.pm_x, role="property_manager").delete()
    assert client_for(world.pm_x).get(f"/api/v1/access/gates/{world.gx.public_id}").status_code == 404


def test_patch_rekey_and_gate_list(world: Any) -> None:
    c = client_for(world.pm_x)
    resp = c.patch(
        f"/api/v1/access/gates/{world.gx.public_id}",
        {"name": "南大门", "active": False},
        content_type="application/json",
    )
    assert resp.status_code == 200 and resp.json()["name"] == "南大门" and resp.json()["active"] is False
    old_key = bytes(world.gx.token_key)
    page = c.post(f"/access/gates/{world.gx.public_id}/", {"action": "rekey"})
    assert page.status_code == 200 and 'id="gate-secret"' in page.content.decode()
    world.gx.refresh_from_db()
    assert bytes(world.gx.token_key) != old_key
    bad = c.post(
        f"/api/v1/access/compounds/{world.x.pk}/gates",
        {"name": "", "transport": "zigbee"},
        content_type="application/json",
    )
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} == {"name", "transport"}
    dup = c.post(
        f"/api/v1/access/compounds/{world.x.pk}/gates",
        {"name": "又一个", "device_id": "dev-gx"},
        content_type="application/json",
    )
    assert dup.status_code == 422 and dup.json()["errors"][0]["field"] == "device_id"


# -------------------------------------------------------------------------------------------- display


def test_display_link_works_without_sign_in_and_can_be_revoked(world: Any) -> None:
    c = client_for(world.pm_x)
    url = c.post(f"/api/v1/access/gates/{world.gx.public_id}/display-link").json()["url"]
    path = url.split("127.0.0.1:8000", 1)[1]
    key = path.rstrip("/").rsplit("/", 1)[1]
    assert len(key) >= 40
    anon = Client()
    page = anon.get(path)
    assert page.status_code == 200 and "<svg" in page.content.decode()
    assert page["Cache-Control"] == "no-store"
    qr = anon.get(f"/api/v1/access/display/{key}/qr").json()
    assert qr["gate"] == world.gx.public_id and qr["online"] is True and qr["svg"].startswith("<svg")
    token = qr["url"].split("t=", 1)[1]
    protocol.check_gate_token(token, bytes(world.gx.token_key), time.time())
    assert 0 < qr["refresh_in"] <= protocol.TOKEN_WINDOW_SECONDS
    # A new link replaces the old one; revoking ends it.
    c.post(f"/api/v1/access/gates/{world.gx.public_id}/display-link")
    assert anon.get(path).status_code == 404
    assert anon.get(f"/api/v1/access/display/{key}/qr").status_code == 404
    world.gx.refresh_from_db()
    assert c.delete(f"/api/v1/access/gates/{world.gx.public_id}/display-link").status_code == 204
    assert anon.get(f"/access/display/{world.gx.display_key}/").status_code == 404
    assert anon.get(f"/api/v1/access/display/{'x' * 43}/qr").status_code == 404


def test_manager_display_page_and_qr_need_sign_in(world: Any) -> None:
    assert Client().get(f"/access/gates/{world.gx.public_id}/display/").status_code == 302
    assert Client().get(f"/api/v1/access/gates/{world.gx.public_id}/qr").status_code == 401
    page = client_for(world.pm_x).get(f"/access/gates/{world.gx.public_id}/display/")
    assert page.status_code == 200 and f"/api/v1/access/gates/{world.gx.public_id}/qr" in page.content.decode()


# --------------------------------------------------------------------------------------------- policy


def test_policy_api_and_page(world: Any) -> None:
    c = client_for(world.pm_x)
    resp = c.put(
        f"/api/v1/access/compounds/{world.x.pk}/policy",
        {"hours": "22:00-06:00", "partners": ["eleme"], "max_per_hour": 4},
        content_type="application/json",
    )
    assert resp.status_code == 200
    assert resp.json() == {
        "riders_allowed": True,
        "hours": "22:00-06:00",
        "partners": ["eleme"],
        "other_streets": False,
        "max_per_hour": 4,
    }
    bad = c.put(
        f"/api/v1/access/compounds/{world.x.pk}/policy", {"partners": ["nosuch"]}, content_type="application/json"
    )
    assert bad.status_code == 422
    page = c.post(
        f"/access/compounds/{world.x.pk}/",
        {"action": "policy", "hours": "07:00-21:00", "partners": ["meituan"], "max_per_hour": ""},
    )
    assert page.status_code == 200
    policy = AccessPolicy.objects.get(compound=world.x)
    assert (policy.riders_allowed, policy.partners, policy.max_per_hour) == (False, ["meituan"], None)
    assert c.get(f"/api/v1/access/compounds/{world.x.pk}/policy").json()["hours"] == "07:00-21:00"


# --------------------------------------------------------------------------------------------- riders


def test_staff_verify_suspend_revoke_reinstate_through_the_api(world: Any) -> None:
    c = client_for(world.station)
    resp = c.post(
        "/api/v1/access/riders",
        {"street": world.street.code, "phone": "13900000123", "partner": "美团", "name": "钱七", "days": 30},
        content_type="application/json",
    )
    assert resp.status_code == 201
    body = resp.json()
    assert body["rider"] == "139****0123" and body["status"] == "verified" and body["active"] is True
    cid = body["id"]
    assert c.post(f"/api/v1/access/riders/{cid}/suspend").json()["status"] == "suspended"
    assert c.post(f"/api/v1/access/riders/{cid}/reinstate").json()["status"] == "verified"
    assert c.post(f"/api/v1/access/riders/{cid}/revoke").json()["status"] == "revoked"
    assert c.post(f"/api/v1/access/riders/{cid}/reinstate").status_code == 422
    assert c.post(f"/api/v1/access/riders/{cid}/explode").status_code == 404
    # Property managers, riders and another street's admin may not.
    for user in (world.pm_x, world.rider, world.admin_b):
        other = client_for(user)
        assert other.post(f"/api/v1/access/riders/{cid}/suspend").status_code == 404
        assert (
            other.post(
                "/api/v1/access/riders",
                {"street": world.street.code, "phone": "13900000124", "partner": "美团", "name": "孙八"},
                content_type="application/json",
            ).status_code
            == 403
        )
    assert RiderCredential.objects.get(pk=cid).status == CredentialStatus.REVOKED


def test_riders_page_verifies_and_suspends(world: Any) -> None:
    c = client_for(world.admin)
    resp = c.post(
        f"/access/staff/riders/?street={world.street.code}",
        {"action": "verify", "phone": "13900000125", "name": "周九", "partner": "饿了么", "days": "90"},
    )
    assert resp.status_code == 200 and "周九" in resp.content.decode()
    credential = RiderCredential.objects.get(real_name="周九")
    resp = c.post(
        f"/access/staff/riders/?street={world.street.code}", {"action": "suspend", "credential": credential.pk}
    )
    assert resp.status_code == 200
    credential.refresh_from_db()
    assert credential.status == CredentialStatus.SUSPENDED
    assert client_for(world.pm_x).get("/access/staff/riders/").status_code == 403


def test_rider_photo_upload_and_who_may_see_it(world: Any, settings: Any, tmp_path: Any) -> None:
    from linli.core.tests.factories import jpeg

    settings.MEDIA_ROOT = tmp_path

    c = client_for(world.admin)
    credential = world.credentials["rider"]
    resp = c.post(
        f"/access/staff/riders/?street={world.street.code}",
        {"action": "photo", "credential": credential.pk, "photo": jpeg()},
    )
    assert resp.status_code == 200, resp.content.decode()[:500]
    credential.refresh_from_db()
    assert credential.photo
    url = f"/access/riders/{credential.pk}/photo/"
    assert client_for(world.rider).get(url).status_code == 200
    assert c.get(url).status_code == 200
    for user in (world.rider_mt, world.pm_y, world.admin_b):
        assert client_for(user).get(url).status_code == 404
    assert Client().get(url).status_code == 404


# -------------------------------------------------------------------------------------- partner assertion


def _claims(world: Any, **over: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": "eleme",
        "aud": f"linli:{world.street.code}",
        "sub": "13900000200",
        "name": "吴十",
        "rider_id": "ELM-42",
        "iat": now,
        "exp": now + 300,
        "jti": secrets.token_hex(8),
    }
    claims.update(over)
    return claims


def test_partner_assertion_verifies_a_rider_once(world: Any) -> None:
    partner = world.credentials["rider"].partner
    key = rider_services.partner_key_new(partner=partner)
    assertion = rider_services.make_assertion(key=key, claims=_claims(world), kid="eleme")
    resp = Client().post("/api/v1/access/rider-assertions", {"assertion": assertion}, content_type="application/json")
    assert resp.status_code == 201
    credential = RiderCredential.objects.get(pk=resp.json()["id"])
    assert (credential.real_name, credential.verified_by, credential.partner_rider_id) == (
        "吴十",
        VerifiedBy.PARTNER,
        "ELM-42",
    )
    again = Client().post("/api/v1/access/rider-assertions", {"assertion": assertion}, content_type="application/json")
    assert again.status_code == 403  # replayed


@pytest.mark.parametrize(
    "attack",
    ["wrong_key", "altered", "expired", "long_lived", "other_street", "other_partner_kid", "alg_none", "no_jti"],
)
def test_bad_partner_assertions_are_refused(world: Any, attack: str) -> None:
    partner = world.credentials["rider"].partner
    key = rider_services.partner_key_new(partner=partner)
    now = int(time.time())
    claims = _claims(world)
    kid = "eleme"
    if attack == "wrong_key":
        key = rider_services.partner_key_new(partner=world.credentials["rider_mt"].partner)
    elif attack == "expired":
        claims.update(iat=now - 900, exp=now - 600)
    elif attack == "long_lived":
        claims.update(exp=now + 86400)
    elif attack == "other_street":
        claims.update(aud=f"linli:{world.street_b.code}")
    elif attack == "other_partner_kid":
        kid = "meituan"
    elif attack == "no_jti":
        del claims["jti"]
    assertion = rider_services.make_assertion(key=key, claims=claims, kid=kid)
    if attack == "altered":
        head, payload, sig = assertion.split(".")
        forged = rider_services.make_assertion(key=key, claims={**claims, "sub": "13900000999"}, kid=kid).split(".")[1]
        assertion = f"{head}.{forged}.{sig}"
    if attack == "alg_none":
        head = rider_services._b64url(b'{"alg":"none","kid":"eleme"}')
        assertion = f"{head}.{assertion.split('.')[1]}."
    resp = Client().post("/api/v1/access/rider-assertions", {"assertion": assertion}, content_type="application/json")
    assert resp.status_code == 403 and resp.json()["code"] == "permission_denied"
    assert not RiderCredential.objects.filter(user__phone__in=["+8613900000200", "+8613900000999"]).exists()
