"""Bearer tokens: created by the CLI, used on the API, revoked."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from linli.core import auth, services
from linli.core.auth import token_digest, token_last_used_flush
from linli.core.models import ApiToken, AuditLog, RoleAssignment, User
from linli.core.tests.factories import StreetFactory

pytestmark = pytest.mark.django_db


def cli(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_token_create_prints_only_the_token_and_it_authenticates():
    StreetFactory(code="wanli", name="万里街道")
    out, _ = cli("token", "create", "--phone", "138 0000 1111", "--role", "grid_worker", "--street", "wanli")
    token = out.strip()
    assert out.count("\n") <= 1 and token.startswith("ll_") and len(token) > 40
    user = User.objects.get(phone="+8613800001111")
    assert RoleAssignment.objects.filter(user=user, street__code="wanli", role="grid_worker").exists()
    stored = ApiToken.objects.get(user=user)
    assert stored.digest == token_digest(token) and token not in (stored.digest, stored.prefix)

    client = Client()
    resp = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert resp.status_code == 200
    assert resp.json()["roles"] == [{"street": "wanli", "street_name": "万里街道", "role": "grid_worker"}]
    # Bearer requests skip CSRF (no cookies involved).
    client.patch("/api/v1/me", {"display_name": "小张"}, content_type="application/json")
    resp = client.patch(
        "/api/v1/me", {"display_name": "小张"}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert resp.status_code == 200 and resp.json()["display_name"] == "小张"
    # The last use is noted, not written by the request: written with every other token's at the next period.
    token_last_used_flush(force=True)
    stored.refresh_from_db()
    assert stored.last_used_at is not None

    _, err = cli("token", "revoke", "--phone", "13800001111")
    assert "revoked 1" in err
    resp = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert resp.status_code == 401
    assert resp["Content-Type"].startswith("application/problem+json")
    assert resp.json()["code"] == "not_authenticated"
    assert AuditLog.objects.filter(action="token.revoke").exists()


def test_unknown_bearer_and_no_auth_are_401():
    client = Client()
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer ll_nope").status_code == 401
    resp = client.get("/api/v1/me")
    assert resp.status_code == 401 and resp.json()["code"] == "not_authenticated"


def test_token_list_shows_prefix_not_token():
    user = services.user_get_or_create(phone="13800002222")
    raw = services.token_create(user=user, name="gate-7")
    out, _ = cli("token", "list", "--phone", "13800002222")
    assert raw[:10] in out and raw not in out and "gate-7" in out and "active" in out


def test_token_revoke_one_by_prefix():
    user = services.user_get_or_create(phone="13800003333")
    a = services.token_create(user=user)
    b = services.token_create(user=user)
    assert services.token_revoke(user=user, prefix=a[:10]) == 1
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {a}").status_code == 401
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {b}").status_code == 200


def test_inactive_user_token_is_refused():
    user = services.user_get_or_create(phone="13800004444")
    raw = services.token_create(user=user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_a_read_request_does_not_write_its_tokens_last_use(monkeypatch):
    """Issue 23: the bearer lookup notes a token's last use and writes it for every noted token at most once per
    period, so a crowd of first requests pays no UPDATE each; `linli token list` still shows it to the period."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    street = StreetFactory()
    raws = [services.token_create(user=User.objects.create(phone=f"+861380000{i:04d}", home_street=street), name="t")
            for i in range(3)]  # fmt: skip
    monkeypatch.setattr(auth, "_last_used_flushed_at", __import__("time").monotonic())  # just written
    client = Client()
    with CaptureQueriesContext(connection) as queries:
        for raw in raws:
            assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE") and "apitoken" in q["sql"]]
    assert not ApiToken.objects.filter(last_used_at__isnull=False).exists()
    # The period over: the next request writes them all in one statement.
    monkeypatch.setattr(auth, "_last_used_flushed_at", -1e9)
    auth.token_cache_forget()
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raws[0]}").status_code == 200
    assert len([q for q in queries.captured_queries if q["sql"].startswith("UPDATE") and "apitoken" in q["sql"]]) == 1
    assert ApiToken.objects.filter(last_used_at__isnull=False).count() == 3
