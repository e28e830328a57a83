"""Employers: registered by staff or by themselves, verified by staff; the unified social credit code
(统一社会信用代码, GB 32100-2015) is checked by its checksum before anything is stored."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem, field_error
from linli.core.models import Street, User
from linli.core.services import audit_log
from linli.jobs.models import Employer

CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_valid(code: str) -> bool:
    """GB 32100-2015: 18 characters of CODE_CHARS, the last one the check character of the first 17."""
    code = code.strip().upper()
    if len(code) != 18 or any(c not in CODE_CHARS for c in code):
        return False
    total = sum(CODE_CHARS.index(c) * w for c, w in zip(code[:17], CODE_WEIGHTS, strict=True))
    check = (31 - total % 31) % 31
    return CODE_CHARS[check] == code[17]


def credit_code_with_check(first17: str) -> str:
    """The full code for 17 characters (test data, the demo)."""
    total = sum(CODE_CHARS.index(c) * w for c, w in zip(first17, CODE_WEIGHTS, strict=True))
    return first17 + CODE_CHARS[(31 - total % 31) % 31]


@dataclass(frozen=True)
class EmployerValues:
    name: str
    credit_code: str
    sector: str = ""
    contact_name: str = ""
    phone: str = ""
    address: str = ""
    lat: float | None = None
    lng: float | None = None


@transaction.atomic
def employer_register(*, street: Street, values: EmployerValues, actor: User | None, member: User | None = None,
                      verify: bool = False) -> Employer:  # fmt: skip
    """Register an employer (verified at once when staff register it with `verify`)."""
    code = values.credit_code.strip().upper()
    if not credit_code_valid(code):
        raise Problem("credit_code_invalid",
                      errors=[field_error("credit_code", _("统一社会信用代码校验位不正确"))])  # fmt: skip
    now = timezone.now()
    try:
        with transaction.atomic():
            employer = Employer.objects.create(
                street=street, name=values.name, credit_code=code, sector=values.sector,
                contact_name=values.contact_name, phone=values.phone, address=values.address,
                lat=values.lat, lng=values.lng, verified_at=now if verify else None,
                verified_by=actor if verify else None,
            )  # fmt: skip
    except IntegrityError as exc:
        raise Problem("jobs_employer_exists") from exc
    if member is not None:
        employer.members.add(member)
    audit_log(actor=actor, action="jobs.employer.register", street=street, obj=employer,
              data={"verified": verify})  # fmt: skip
    return employer


@transaction.atomic
def employer_verify(*, employer: Employer, actor: User) -> Employer:
    if employer.verified_at is None:
        Employer.objects.filter(pk=employer.pk, verified_at__isnull=True).update(
            verified_at=timezone.now(), verified_by=actor
        )
        employer.refresh_from_db()
        audit_log(actor=actor, action="jobs.employer.verify", street=employer.street, obj=employer)
    return employer
