"""Job seekers' needs survey (需求摸排): filled by a station worker with the resident, or by the resident online.
Held only with the person's consent; every staff view of a profile is audit-logged (`seeker_viewed`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem, field_error
from linli.core.geo import in_china
from linli.core.models import Compound, Street, User
from linli.core.phones import mask_phone
from linli.core.services import audit_log
from linli.jobs.models import Benefit, Constraint, Education, HoursKind, Seeker, Shift, Station, TravelMode
from linli.jobs.taxonomy import OCCUPATIONS, SKILLS


@dataclass
class SeekerValues:
    name: str
    consent: bool
    phone: str = ""
    birth_year: int | None = None
    compound_id: int | None = None
    lat: float | None = None
    lng: float | None = None
    occupations: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    experience_years: int = 0
    education: str = Education.JUNIOR
    hours: list[str] = field(default_factory=list)
    shifts: list[str] = field(default_factory=list)
    max_minutes: int = 15
    travel_mode: str = TravelMode.WALK
    constraints: list[str] = field(default_factory=list)
    accommodations: str = ""
    health_notes: str = ""
    benefits: list[str] = field(default_factory=list)
    station_id: int | None = None


def _choices_errors(name: str, values: list[str], allowed: Any, errors: list[dict[str, Any]]) -> None:
    for v in values:
        if v not in allowed:
            errors.append(field_error(name, format_lazy(_("不认识的选项 {value}"), value=v)))


def seeker_values_errors(v: SeekerValues, *, street: Street) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    if not v.consent:
        errors.append(field_error("consent", _("登记求职信息需要本人同意")))
    if not v.name.strip():
        errors.append(field_error("name", _("请填写姓名")))
    _choices_errors("occupations", v.occupations, OCCUPATIONS, errors)
    _choices_errors("skills", v.skills, SKILLS, errors)
    _choices_errors("hours", v.hours, HoursKind.values, errors)
    _choices_errors("shifts", v.shifts, Shift.values, errors)
    _choices_errors("constraints", v.constraints, Constraint.values, errors)
    _choices_errors("benefits", v.benefits, Benefit.values, errors)
    if v.education not in Education.values:
        errors.append(field_error("education", format_lazy(_("不认识的选项 {value}"), value=v.education)))
    if v.travel_mode not in TravelMode.values:
        errors.append(field_error("travel_mode", format_lazy(_("不认识的选项 {value}"), value=v.travel_mode)))
    if not 1 <= v.max_minutes <= 120:
        errors.append(field_error("max_minutes", _("路程应在 1 到 120 分钟之间")))
    if not 0 <= v.experience_years <= 70:
        errors.append(field_error("experience_years", _("工作年限应在 0 到 70 之间")))
    if v.compound_id is not None and not Compound.objects.filter(pk=v.compound_id, street=street).exists():
        errors.append(field_error("compound_id", _("本街道没有这个小区")))
    if v.station_id is not None and not Station.objects.filter(pk=v.station_id, street=street).exists():
        errors.append(field_error("station_id", _("本街道没有这个就业服务站")))
    if (v.lat is None) != (v.lng is None) or (
        v.lat is not None
        and v.lng is not None
        and not (abs(v.lat) <= 90 and abs(v.lng) <= 180 and in_china(v.lat, v.lng))
    ):
        errors.append(field_error("lat", _("坐标不在中国境内")))
    if v.compound_id is None and v.lat is None:
        errors.append(field_error("compound_id", _("请选择居住的小区，或给出住处的坐标")))
    return errors


def _row(v: SeekerValues, street: Street) -> dict[str, Any]:
    lat, lng = v.lat, v.lng
    if v.compound_id is not None and lat is None:
        compound = Compound.objects.get(pk=v.compound_id, street=street)
        lat, lng = compound.lat, compound.lng
    return {
        "name": v.name.strip(), "phone": v.phone, "birth_year": v.birth_year, "compound_id": v.compound_id,
        "lat": lat, "lng": lng, "occupations": list(dict.fromkeys(v.occupations)),
        "skills": list(dict.fromkeys(v.skills)), "experience_years": v.experience_years, "education": v.education,
        "hours": list(dict.fromkeys(v.hours)), "shifts": list(dict.fromkeys(v.shifts)), "max_minutes": v.max_minutes,
        "travel_mode": v.travel_mode, "constraints": list(dict.fromkeys(v.constraints)),
        "accommodations": v.accommodations, "health_notes": v.health_notes,
        "benefits": list(dict.fromkeys(v.benefits)), "station_id": v.station_id,
    }  # fmt: skip


@transaction.atomic
def seeker_save(
    *, street: Street, values: SeekerValues, actor: User, seeker: Seeker | None = None, user: User | None = None
) -> Seeker:
    """Create (or, with `seeker`, update) a survey. `user` links the resident's account (self-service)."""
    errors = seeker_values_errors(values, street=street)
    if errors:
        raise Problem("validation_error", errors=errors)
    row = _row(values, street)
    if seeker is None:
        seeker = Seeker.objects.create(street=street, user=user, consent_at=timezone.now(),
                                       caseworker=None if user is not None else actor, **row)  # fmt: skip
        action = "jobs.seeker.create"
    else:
        for k, val in row.items():
            setattr(seeker, k, val)
        seeker.save()
        action = "jobs.seeker.update"
    audit_log(actor=actor, action=action, street=street, obj=seeker, data={"phone": mask_phone(seeker.phone)})
    return seeker


def seeker_viewed(*, seeker: Seeker, actor: User, what: str = "profile") -> None:
    """The audit row of a staff view of a seeker's profile or matches (PIPL)."""
    if seeker.user_id is not None and seeker.user_id == actor.pk:
        return
    audit_log(actor=actor, action=f"jobs.seeker.view.{what}", street=seeker.street, obj=seeker)
