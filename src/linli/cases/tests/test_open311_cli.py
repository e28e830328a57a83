"""`linli open311 key create|list|revoke`: keys are printed once, stored only as a SHA-256 digest, listed by
prefix, and a revoked key is refused by the API at once."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command

from linli.cases.models import Open311Client, Report
from linli.cases.services.clients import client_for_key
from linli.cases.services.reports import categories_default_create
from linli.core.models import AuditLog
from linli.core.tests.factories import StreetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def street():
    s = StreetFactory(code="clijie", name="命令行街道")
    categories_default_create(street=s)
    return s


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("open311", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_prints_only_the_key_and_stores_its_digest(street):
    out, _ = run("key", "create", "--street", street.code, "--name", "12345 热线")
    lines = out.strip().splitlines()
    assert len(lines) == 1
    key = lines[0]
    assert key.startswith("o311_") and len(key) > 40
    client = Open311Client.objects.get(street=street)
    assert client.name == "12345 热线"
    assert client.digest == hashlib.sha256(key.encode()).hexdigest()
    assert client.prefix == key[:12]
    assert key not in (client.name + client.prefix + client.digest)
    assert client_for_key(key, street) == client
    assert AuditLog.objects.filter(action="open311.key.create", street=street).count() == 1


def test_list_shows_prefix_state_and_name_never_the_key(street):
    key1 = run("key", "create", "--street", street.code, "--name", "热线桥")[0].strip()
    key2 = run("key", "create", "--street", street.code, "--name", "合作应用")[0].strip()
    run("key", "revoke", "--street", street.code, "--prefix", key1[:12])
    out, _ = run("key", "list", "--street", street.code)
    lines = out.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(key1[:12]) and "\trevoked\t" in lines[0] and "热线桥" in lines[0]
    assert lines[1].startswith(key2[:12]) and "\tactive\t" in lines[1] and "合作应用" in lines[1]
    assert key1 not in out and key2 not in out


def test_revoke_refuses_the_key_in_the_api(client, street):
    key = run("key", "create", "--street", street.code, "--name", "应用")[0].strip()
    form = {
        "api_key": key,
        "jurisdiction_id": street.code,
        "service_code": "fire_passage",
        "lat": "31.2519",
        "long": "121.3937",
        "description": "堵了",
    }
    assert client.post("/open311/v2/requests.json", data=form).status_code == 200
    _, err = run("key", "revoke", "--street", street.code, "--prefix", key[:12] + "…")  # as printed by list
    assert "revoked 1" in err
    assert client_for_key(key, street) is None
    resp = client.post("/open311/v2/requests.json", data=form)
    assert resp.status_code == 403
    assert Report.objects.count() == 1


def test_a_key_is_bound_to_its_street(street):
    other = StreetFactory(code="cliother")
    key = run("key", "create", "--street", other.code, "--name", "别处")[0].strip()
    assert client_for_key(key, street) is None
    assert client_for_key(key, other) is not None


def test_errors_exit_non_zero(street):
    with pytest.raises(CommandError, match="unknown_street"):
        run("key", "create", "--street", "nowhere", "--name", "x")
    with pytest.raises(CommandError, match="validation_error"):
        run("key", "create", "--street", street.code, "--name", "  ")
    with pytest.raises(CommandError, match="not_found"):
        run("key", "revoke", "--street", street.code, "--prefix", "o311_nothing")
    other = StreetFactory(code="cliother2")
    key = run("key", "create", "--street", other.code, "--name", "别处")[0].strip()
    with pytest.raises(CommandError, match="not_found"):  # another street's key cannot be revoked from here
        run("key", "revoke", "--street", street.code, "--prefix", key[:12])
    assert Open311Client.objects.get(street=other).revoked_at is None
