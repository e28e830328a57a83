"""`linli gate add|list|rekey`, `linli rider verify|suspend|revoke|reinstate|partner-key`, `linli access policy|manager`
and the sample street's gates (var/demo-gates.json for the simulator)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from linli.access.gatewire import protocol
from linli.access.models import AccessPolicy, CompoundManager, CredentialStatus, Gate, RiderCredential
from linli.access.tests.factories import build_access_world, compound_make

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def world() -> Any:
    return build_access_world()


def test_gate_add_prints_the_id_and_a_working_secret(world: Any) -> None:
    out = run("gate", "add", "cx", "--name", "西门", "--device-id", "W-1", "--transport", "http")
    lines = dict(line.split(":", 1) for line in out.strip().splitlines())
    public_id, secret = lines["gate"].strip(), lines["secret"].strip()
    gate = Gate.objects.get(public_id=public_id)
    assert (gate.compound, gate.name, gate.device_id, gate.transport) == (world.x, "西门", "W-1", "http")
    assert protocol.derive_keys(secret) == (bytes(gate.token_key), bytes(gate.command_key))
    assert public_id in run("gate", "list", "cx")
    assert "offline" in run("gate", "list", "cx")
    new_secret = run("gate", "rekey", public_id).split("secret:")[1].strip()
    gate.refresh_from_db()
    assert new_secret != secret and protocol.derive_keys(new_secret)[0] == bytes(gate.token_key)


def test_gate_add_needs_the_street_when_the_compound_id_is_ambiguous(world: Any) -> None:
    compound_make(world.street_b, "cx", "同名小区", 31.3, 121.5)
    with pytest.raises(CommandError, match="--street"):
        run("gate", "add", "cx", "--name", "门")
    out = run("gate", "add", "cx", "--name", "门", "--street", world.street_b.code)
    assert Gate.objects.get(public_id=out.split()[1]).street == world.street_b
    with pytest.raises(CommandError, match="not_found"):
        run("gate", "add", "nosuch", "--name", "门")


def test_rider_verify_suspend_revoke(world: Any) -> None:
    out = run(
        "rider",
        "verify",
        "13900000300",
        "--partner",
        "美团",
        "--name",
        "郑十一",
        "--days",
        "10",
        "--street",
        world.street.code,
    )
    assert "139****0300" in out and "美团" in out
    credential = RiderCredential.objects.get(user__phone="+8613900000300")
    assert credential.real_name == "郑十一" and credential.partner.code == "meituan"
    run("rider", "suspend", "13900000300")
    credential.refresh_from_db()
    assert credential.status == CredentialStatus.SUSPENDED
    run("rider", "reinstate", "13900000300")
    credential.refresh_from_db()
    assert credential.status == CredentialStatus.VERIFIED
    run("rider", "revoke", "13900000300")
    credential.refresh_from_db()
    assert credential.status == CredentialStatus.REVOKED
    with pytest.raises(CommandError, match="not_found"):
        run("rider", "suspend", "13900000399")
    # Without --street: the street where the person already rides.
    run("rider", "verify", "+8613700000006", "--partner", "饿了么")
    with pytest.raises(CommandError, match="--street"):
        run("rider", "verify", "13900000301", "--partner", "饿了么")
    key_out = run("rider", "partner-key", "饿了么", "--street", world.street.code)
    assert len(key_out.split("key:")[1].strip()) == 43


def test_access_policy_command(world: Any) -> None:
    out = run(
        "access", "policy", "cx", "--off", "--hours", "22:00-06:00", "--partners", "eleme,美团", "--max-per-hour", "3"
    )
    data = json.loads(out.strip().splitlines()[-1])
    assert data == {
        "riders_allowed": False,
        "hours": "22:00-06:00",
        "partners": ["eleme", "meituan"],
        "other_streets": False,
        "max_per_hour": 3,
    }
    run("access", "policy", "cx", "--on", "--hours", "all", "--partners", "all", "--max-per-hour", "0")
    policy = AccessPolicy.objects.get(compound=world.x)
    assert (policy.riders_allowed, policy.hours_from, policy.partners, policy.max_per_hour) == (True, None, [], None)
    with pytest.raises(CommandError, match="validation_error"):
        run("access", "policy", "cx", "--hours", "8-9")
    run("access", "manager", "cy", "--phone", "13700000001")
    assert CompoundManager.objects.filter(user=world.pm_x, compound=world.y).exists()
    run("access", "manager", "cy", "--phone", "13700000001", "--remove")
    assert not CompoundManager.objects.filter(user=world.pm_x, compound=world.y).exists()


def test_secrets_print_as_json_whole(world: Any) -> None:
    data = json.loads(run("gate", "add", "cx", "--name", "东门", "--json"))
    gate = Gate.objects.get(public_id=data["gate"])
    assert protocol.derive_keys(data["secret"]) == (bytes(gate.token_key), bytes(gate.command_key))
    assert (data["compound"], data["street"]) == ("cx", world.street.code)
    rekeyed = json.loads(run("gate", "rekey", data["gate"], "--json"))
    gate.refresh_from_db()
    assert rekeyed["secret"] != data["secret"] and protocol.derive_keys(rekeyed["secret"])[0] == bytes(gate.token_key)
    key = json.loads(run("rider", "partner-key", "美团", "--street", world.street.code, "--json"))
    assert key["partner"] == "meituan" and len(key["key"]) == 43
    verified = json.loads(
        run(
            "rider",
            "verify",
            "13900000310",
            "--partner",
            "美团",
            "--name",
            "王五",
            "--street",
            world.street.code,
            "--json",
        )
    )
    assert verified["id"] == RiderCredential.objects.get(user__phone="+8613900000310").pk
    assert verified["phone"] == "139****0310" and verified["status"] == "verified"


def test_rider_verify_needs_the_real_name(world: Any) -> None:
    with pytest.raises(CommandError, match="--name"):
        run("rider", "verify", "13900000311", "--partner", "美团", "--street", world.street.code)
