"""The operations CLI: streets, roles, token errors; exit status 1 with the problem on stderr."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from linli.cli import main
from linli.core.models import AuditLog, RoleAssignment, Street, User

pytestmark = pytest.mark.django_db


def cli(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_street_add_and_list():
    out, _ = cli("street", "add", "wanli", "--name", "万里街道", "--district", "普陀区", "--name-en", "Wanli")
    assert out.strip() == "wanli\t万里街道"
    street = Street.objects.get(code="wanli")
    assert street.district == "普陀区" and street.name_en == "Wanli"
    assert AuditLog.objects.filter(action="street.create", street=street).exists()
    out, _ = cli("street", "list")
    assert "wanli\t万里街道\t普陀区" in out


@pytest.mark.django_db(transaction=True)  # the console entry closes DB connections
def test_street_add_duplicate_exits_1_with_the_problem(capsys):
    cli("street", "add", "wanli", "--name", "万里街道")
    with pytest.raises(SystemExit) as exc:
        main(["street", "add", "wanli", "--name", "又一个"])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "street_exists" in err and "街道代码已存在" in err
    assert Street.objects.filter(code="wanli").count() == 1


def test_street_add_bad_code():
    with pytest.raises(CommandError) as exc:
        cli("street", "add", "Bad Code!", "--name", "x")
    assert exc.value.returncode == 1 and "validation_error" in str(exc.value)


def test_role_grant_list_revoke():
    cli("street", "add", "wanli", "--name", "万里街道")
    out, _ = cli("role", "grant", "--phone", "+86 139 1234 5678", "--role", "safety_officer", "--street", "wanli")
    assert "139****5678" in out
    user = User.objects.get(phone="+8613912345678")
    assert RoleAssignment.objects.filter(user=user, role="safety_officer", street__code="wanli").exists()
    cli("role", "grant", "--phone", "13912345678", "--role", "safety_officer", "--street", "wanli")  # idempotent
    assert RoleAssignment.objects.filter(user=user).count() == 1
    out, _ = cli("role", "list", "--street", "wanli")
    assert "139****5678" in out and "13912345678" not in out and "safety_officer" in out
    cli("role", "revoke", "--phone", "13912345678", "--role", "safety_officer", "--street", "wanli")
    assert not RoleAssignment.objects.filter(user=user).exists()
    assert AuditLog.objects.filter(action="role.revoke").exists()


def test_role_grant_unknown_role_or_street():
    cli("street", "add", "wanli", "--name", "万里街道")
    with pytest.raises(CommandError) as exc:
        cli("role", "grant", "--phone", "13912345678", "--role", "mayor", "--street", "wanli")
    assert "unknown_role" in str(exc.value)
    with pytest.raises(CommandError) as exc:
        cli("role", "grant", "--phone", "13912345678", "--role", "admin", "--street", "nowhere")
    assert "unknown_street" in str(exc.value)


@pytest.mark.django_db(transaction=True)  # the console entry closes DB connections
def test_token_create_errors_exit_1(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["token", "create", "--phone", "13800000000", "--role", "admin"])
    assert exc.value.code == 1
    assert "--street" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["token", "create", "--phone", "13800000000", "--role", "admin", "--street", "nowhere"])
    assert exc.value.code == 1
    assert "unknown_street" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["token", "create", "--phone", "12345"])
    assert exc.value.code == 1
    assert "invalid_phone" in capsys.readouterr().err
    assert not User.objects.exists()


@pytest.mark.django_db(transaction=True)  # the console entry closes DB connections
def test_token_create_via_console_prints_token_only(capsys):
    main(["token", "create", "--phone", "13800000000"])
    out = capsys.readouterr().out
    assert out.startswith("ll_") and out.strip() == out.splitlines()[0]
