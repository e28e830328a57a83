"""Security settings a deployment expects (issue 13 item 6): HSTS behind HTTPS, a CSP whose connect-src is the
site's own WebSocket origin, a throttled back-office sign-in, token revocation within a second, and an API
document that declares its security scheme and the statuses every operation may answer."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from linli.core import auth
from linli.core.models import ApiToken, User
from linli.core.services import token_create
from linli.core.tests.factories import UserFactory


def _settings_with(env: dict[str, str]) -> str:
    code = (
        "import django; from django.conf import settings; django.setup(); "
        "print(settings.SECURE_HSTS_SECONDS, getattr(settings, 'SECURE_PROXY_SSL_HEADER', None), "
        "settings.SESSION_COOKIE_SECURE)"
    )
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_SECURE") and k != "LINLI_HSTS_SECONDS"}
    environ |= {"DJANGO_SETTINGS_MODULE": "linli.settings", **env}
    return subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=True
    ).stdout


def test_hsts_follows_the_https_setting_and_is_off_by_default():
    assert _settings_with({}).split() == ["0", "None", "False"]
    on = _settings_with({"LINLI_SECURE_COOKIES": "1"})
    assert on.startswith("31536000 ('HTTP_X_FORWARDED_PROTO', 'https') True"), on
    assert _settings_with({"LINLI_SECURE_COOKIES": "1", "LINLI_HSTS_SECONDS": "0"}).startswith("0 ")


@pytest.mark.django_db
@override_settings(SECURE_HSTS_SECONDS=31536000, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
def test_https_answers_carry_hsts_and_plain_http_ones_do_not():
    client = Client()
    secure = client.get("/api/v1/streets", HTTP_X_FORWARDED_PROTO="https")
    assert secure["Strict-Transport-Security"] == "max-age=31536000"
    assert "wss://testserver" in secure["Content-Security-Policy"]
    assert "Strict-Transport-Security" not in client.get("/api/v1/streets")


@pytest.mark.django_db
def test_connect_src_is_the_site_and_its_own_websocket_origin():
    policy = Client().get("/api/v1/streets", HTTP_HOST="localhost")["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["connect-src"] == "'self' ws://localhost"
    assert "ws:" not in directives["connect-src"].replace("ws://localhost", "")


@pytest.mark.django_db
def test_admin_sign_in_is_throttled_like_the_sms_sign_in(settings):
    cache.clear()
    settings.LINLI_ADMIN_LOGIN_ATTEMPTS = 5
    staff = UserFactory(is_staff=True, is_superuser=True)
    staff.set_password("right horse battery")
    staff.save()
    client = Client()
    for _ in range(5):
        wrong = client.post("/admin/login/", {"username": staff.phone, "password": "guess"})
        assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    late = client.post("/admin/login/", {"username": staff.phone, "password": "right horse battery"})
    assert late.status_code == 200 and "_auth_user_id" not in client.session
    assert "登录尝试次数过多" in late.content.decode()
    cache.clear()  # the window has passed
    ok = client.post("/admin/login/", {"username": staff.phone, "password": "right horse battery"})
    assert ok.status_code == 302 and client.session["_auth_user_id"] == str(staff.pk)


@pytest.mark.django_db
def test_a_token_revoked_elsewhere_stops_working_within_a_second(monkeypatch):
    """Another process revoked the token (the row changed, this process's cache did not hear of it)."""
    auth.token_cache_forget()
    user: User = UserFactory()
    raw = token_create(user=user)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/me/bookings").status_code == 200
    ApiToken.objects.filter(user=user).update(revoked_at=user.date_joined)
    now = auth.time.monotonic()
    monkeypatch.setattr(auth.time, "monotonic", lambda: now + 1.01)
    answer = client.get("/api/v1/me/bookings")
    assert answer.status_code == 401 and answer.json()["code"] == "not_authenticated"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return Client().get("/api/v1/openapi.json").json()


def test_every_operation_declares_the_statuses_any_request_may_meet(document):
    """A bearer token that is not valid (401) or cannot be checked (503), a server error (500); a body over the
    limit (413) and a form of too many fields (400) wherever a body is taken."""
    assert document["components"]["securitySchemes"]["UserAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "`linli token create`; the web session (with its CSRF token) works too",
    }
    missing = []
    for path, item in document["paths"].items():
        for method, op in item.items():
            statuses = set(op["responses"])
            wanted = {"401", "500", "503"} | ({"400", "413"} if op.get("requestBody") else set())
            if not wanted <= statuses:
                missing.append(f"{method.upper()} {path}: {sorted(wanted - statuses)}")
    assert not missing, "\n".join(missing)
