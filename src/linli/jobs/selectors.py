"""Jobs reads, scoped by street and role: seekers' profiles only for the street's employment staff (and the
person); jobs are public while open; employers' members see their own jobs' candidates. Pages and the API share
these."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from linli.core import selectors as core_selectors
from linli.core.errors import Problem
from linli.core.models import Role, Street, User
from linli.core.phones import mask_phone
from linli.jobs.models import Application, Employer, Job, JobStatus, Seeker
from linli.jobs.taxonomy import OCCUPATIONS

STAFF_ROLES = (Role.EMPLOYMENT_WORKER, Role.EMPLOYMENT_HEAD)
HEAD_ROLES = (Role.EMPLOYMENT_HEAD,)


def staff_streets(user: User, roles: Iterable[str] = STAFF_ROLES) -> QuerySet[Street]:
    return core_selectors.street_list_for_roles(user, roles=roles)


def staff_require(user: User, *, street: Street, roles: Iterable[str] = STAFF_ROLES) -> None:
    """Refuse (`permission_denied`) a user without an employment role in the street."""
    core_selectors.require_role(user, street=street, roles=roles)


def is_staff(user: User, *, street: Street, roles: Iterable[str] = STAFF_ROLES) -> bool:
    return core_selectors.user_has_role(user, street=street, roles=roles)


def seeker_for_staff(*, user: User, seeker_id: int) -> Seeker:
    """A seeker the user may see: employment staff of the seeker's street, or the person. Anyone else gets
    `not_found` (another street's staff learn nothing, not even that the id exists)."""
    seeker = Seeker.objects.select_related("street", "compound", "station").filter(pk=seeker_id).first()
    if seeker is None or not (
        (seeker.user_id is not None and seeker.user_id == getattr(user, "pk", None))
        or is_staff(user, street=seeker.street)
    ):
        raise Problem("not_found")
    return seeker


def seeker_of_user(user: User) -> Seeker | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Seeker.objects.select_related("street").filter(user=user, active=True).order_by("-id").first()


def seeker_list(*, street: Street, q: str = "", station_id: int | None = None) -> QuerySet[Seeker]:
    qs = Seeker.objects.filter(street=street, active=True).select_related("compound", "station")
    if station_id:
        qs = qs.filter(station_id=station_id)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(compound__name__icontains=q))
    return qs.order_by("name", "id")


def seeker_row(s: Seeker) -> dict[str, Any]:
    """A list row: the phone masked."""
    return {"id": s.pk, "name": s.name, "phone": mask_phone(s.phone), "compound": s.compound.name if s.compound else "",
            "station": s.station.name if s.station else "", "occupations": list(s.occupations),
            "shifts": list(s.shifts), "max_minutes": s.max_minutes, "travel_mode": s.travel_mode}  # fmt: skip


def job_public(*, job_id: int) -> Job:
    job = Job.objects.select_related("employer", "street").filter(pk=job_id).first()
    if job is None:
        raise Problem("not_found")
    return job


def job_search(
    *, street: Street, q: str = "", occupation: str = "", near: tuple[float, float] | None = None,
    minutes: int | None = None, today: date | None = None,
) -> list[Job]:  # fmt: skip
    """Open jobs of the street; `near` with `minutes`: those a walk of that many minutes away in a straight line
    (times the detour factor) — the seeker's own matches route over the roads."""
    today = today or timezone.localdate()
    qs = Job.objects.filter(street=street, status=JobStatus.OPEN, valid_through__gte=today).select_related("employer")
    if occupation:
        qs = qs.filter(Q(occupation=occupation) | Q(occupation__startswith=f"{occupation}-"))
    if q:
        codes = [c for c, o in OCCUPATIONS.items() if q in str(o.name)]
        qs = qs.filter(Q(title__icontains=q) | Q(employer__name__icontains=q) | Q(occupation__in=codes))
    jobs = list(qs.order_by("-created_at", "id")[:2000])
    if near is not None:
        from_lat, from_lng = near
        limit = (minutes or 15) * 80 / 1.25
        jobs = [j for j in jobs if _metres(from_lat, from_lng, j.lat, j.lng) <= limit]
        jobs.sort(key=lambda j: _metres(from_lat, from_lng, j.lat, j.lng))
    return jobs


def _metres(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    dy = (lat2 - lat1) * 111_320
    dx = (lng2 - lng1) * 111_320 * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, dy)


def employer_for_member(*, user: User, employer_id: int) -> Employer:
    employer = Employer.objects.select_related("street").filter(pk=employer_id).first()
    if employer is None or not (
        employer.members.filter(pk=getattr(user, "pk", None)).exists() or is_staff(user, street=employer.street)
    ):
        raise Problem("not_found")
    return employer


def employers_of(user: User) -> QuerySet[Employer]:
    return Employer.objects.filter(members=user).select_related("street").order_by("name")


def application_for(*, user: User, application_id: int) -> Application:
    """An application its street's staff or the job's employer may move."""
    app = Application.objects.select_related("seeker", "job__employer", "street").filter(pk=application_id).first()
    if app is None or not (
        is_staff(user, street=app.street) or app.job.employer.members.filter(pk=getattr(user, "pk", None)).exists()
    ):
        raise Problem("not_found")
    return app


def applications_of_seeker(seeker: Seeker) -> QuerySet[Application]:
    return seeker.applications.select_related("job__employer").order_by("-moved_at", "id")


def applications_of_employer(employer: Employer) -> QuerySet[Application]:
    return Application.objects.filter(job__employer=employer).select_related("job", "seeker").order_by("-moved_at")


def applications_of_street(street: Street) -> QuerySet[Application]:
    return Application.objects.filter(street=street).select_related("job__employer", "seeker").order_by("-moved_at")


def street_for_profile(code: str) -> Street:
    """The street a resident without a home street surveys themself in: `?street=`, else the first street."""
    if code:
        return core_selectors.street_get(code=code)
    street = core_selectors.street_list().order_by("id").first()
    if street is None:
        raise Problem("unknown_street")
    return street
