"""Volunteer profiles, teams and enterprises: registration (self or by staff), real-name check, verification."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core import selectors as core_selectors
from linli.core.errors import Problem, field_error
from linli.core.models import Role, Street, User
from linli.core.services import audit_log
from linli.volunteers.models import SKILL_CODES, Station, Team, TeamKind, Volunteer

STAFF_ROLES = (Role.STATION_STAFF, Role.ADMIN)
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
WEEKDAYS = ("mo", "tu", "we", "th", "fr", "sa", "su")
PARTS = ("am", "pm", "ev")


def is_station_staff(user: Any, street: Street) -> bool:
    return bool(user and user.is_authenticated) and core_selectors.user_has_role(user, street=street, roles=STAFF_ROLES)


def require_staff(user: Any, street: Street) -> None:
    if not is_station_staff(user, street):
        raise Problem("permission_denied")


def credit_code_valid(code: str) -> bool:
    """The unified social credit code's check character (GB 32100-2015)."""
    code = (code or "").strip().upper()
    if len(code) != 18 or any(c not in USCC_CHARS for c in code):
        return False
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(code[:17], USCC_WEIGHTS, strict=True))
    check = (31 - total % 31) % 31
    return USCC_CHARS[check] == code[17]


def credit_code_complete(first17: str) -> str:
    """The 18-character code for 17 characters (for demo data and tests)."""
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return first17 + USCC_CHARS[(31 - total % 31) % 31]


def _clean_profile(values: dict[str, Any]) -> dict[str, Any]:
    errors = []
    name = str(values.get("name") or "").strip()
    if not name or len(name) > 50:
        errors.append(field_error("name", _("请填写姓名（不超过50字）")))
    skills = [str(s) for s in values.get("skills") or []]
    if any(s not in SKILL_CODES for s in skills):
        errors.append(field_error("skills", _("没有这项技能")))
    tags = [str(t).strip()[:20] for t in values.get("tags") or [] if str(t).strip()][:10]
    languages = [str(t).strip()[:20] for t in values.get("languages") or [] if str(t).strip()][:6]
    availability = values.get("availability") or {}
    if not isinstance(availability, dict) or any(
        d not in WEEKDAYS or not isinstance(p, list) or any(x not in PARTS for x in p) for d, p in availability.items()
    ):
        errors.append(field_error("availability", _("每周可服务时间格式不正确")))
    if not values.get("consent"):
        errors.append(field_error("consent", _("登记需要本人同意")))
    if errors:
        raise Problem("validation_error", errors=errors)
    return {
        "name": name, "skills": sorted(set(skills)), "tags": tags, "languages": languages,
        "availability": availability,
        "emergency_name": str(values.get("emergency_name") or "")[:50],
        "emergency_phone": str(values.get("emergency_phone") or "")[:20],
    }  # fmt: skip


@transaction.atomic
def volunteer_register(
    *, user: User, street: Street, values: dict[str, Any], stations: list[Station] | None = None,
    team: Team | None = None, actor: User | None = None,
) -> Volunteer:  # fmt: skip
    """Register `user` as a volunteer of `street` (by themselves, or by station staff as `actor`)."""
    if actor is not None and actor.pk != user.pk:
        require_staff(actor, street)
    clean = _clean_profile(values)
    try:
        with transaction.atomic():
            volunteer = Volunteer.objects.create(
                user=user, street=street, consent_at=timezone.now(), team=team, registered_by=actor or user, **clean
            )
    except IntegrityError:
        raise Problem("volunteer_exists") from None
    if stations:
        volunteer.stations.set([s for s in stations if s.street_id == street.pk])
    audit_log(actor=actor or user, street=street, action="volunteer.register", obj=volunteer)
    return volunteer


def volunteer_verify(*, volunteer: Volunteer, actor: User) -> Volunteer:
    """Station staff checked the volunteer's identity document in person (实名核验)."""
    require_staff(actor, volunteer.street)
    Volunteer.objects.filter(pk=volunteer.pk).update(real_name_verified_at=timezone.now())
    volunteer.refresh_from_db()
    audit_log(actor=actor, street=volunteer.street, action="volunteer.verify", obj=volunteer)
    return volunteer


@transaction.atomic
def team_register(
    *, street: Street, name: str, kind: str, credit_code: str = "", contact_name: str = "", contact_phone: str = "",
    manager: User | None = None,
) -> Team:  # fmt: skip
    """A team or enterprise registers (unverified until station staff verify it)."""
    errors = []
    name = (name or "").strip()
    if not name or len(name) > 120:
        errors.append(field_error("name", _("请填写名称")))
    if kind not in TeamKind.values:
        errors.append(field_error("kind", _("没有这种团队类型")))
    code = (credit_code or "").strip().upper()
    if errors:
        raise Problem("validation_error", errors=errors)
    if (kind in (TeamKind.COMPANY, TeamKind.HOTEL, TeamKind.OLD_BRAND) or code) and not credit_code_valid(code):
        raise Problem("credit_code_invalid", errors=[field_error("credit_code", _("校验位不符，请核对18位代码"))])
    try:
        with transaction.atomic():
            team = Team.objects.create(
                street=street, name=name, kind=kind, credit_code=code, contact_name=contact_name[:50],
                contact_phone=contact_phone[:20],
            )  # fmt: skip
    except IntegrityError:
        raise Problem("validation_error", errors=[field_error("name", _("这个名称已登记"))]) from None
    if manager is not None:
        team.managers.add(manager)
    audit_log(actor=manager, street=street, action="volunteer.team_register", obj=team)
    return team


def team_verify(*, team: Team, actor: User) -> Team:
    require_staff(actor, team.street)
    Team.objects.filter(pk=team.pk).update(verified_at=timezone.now(), verified_by=actor)
    team.refresh_from_db()
    audit_log(actor=actor, street=team.street, action="volunteer.team_verify", obj=team)
    return team
