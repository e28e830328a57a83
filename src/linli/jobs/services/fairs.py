"""Job fairs (招聘会): an event at a venue with employer booths and their open jobs. Residents register through
activities (the fair's registration is an activity: its capacity, booking and check-in); at each booth the staff
see the registered job seekers ranked against the booth's jobs with the reasons (the same matching as everywhere);
an interview agreed on site is a pipeline step carrying the fair; after the fair, its results are the interviews,
offers and hires of those applications, per booth."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.activities.models import ActivityStatus, Booking, BookingStatus, Category
from linli.activities.services.activities import activity_create
from linli.core.errors import Problem, field_error
from linli.core.models import Street, User
from linli.core.services import audit_log
from linli.jobs.models import Application, AppStatus, Booth, Employer, Fair, Job, JobStatus, Seeker
from linli.jobs.services import matching, pipeline, travel
from linli.places.models import Place

BEFORE_INTERVIEW = (AppStatus.SUGGESTED, AppStatus.APPLIED, AppStatus.CONTACTED)


@dataclass
class FairValues:
    title: str
    venue_id: int
    start: datetime
    end: datetime
    capacity: int = 200
    employer_ids: list[int] = field(default_factory=list)


@transaction.atomic
def fair_create(*, street: Street, values: FairValues, actor: User | None, now: datetime | None = None) -> Fair:
    """The fair, its registration (a published activity at the venue) and a booth per employer with the
    employer's open jobs."""
    now = now or timezone.now()
    errors: list[dict[str, Any]] = []
    if not values.title.strip():
        errors.append(field_error("title", _("请填写招聘会名称")))
    if timezone.is_naive(values.start) or values.start <= now:
        errors.append(field_error("start", _("开始时间必须在将来")))
    if timezone.is_naive(values.end) or (not timezone.is_naive(values.start) and values.end <= values.start):
        errors.append(field_error("end", _("结束时间要晚于开始时间")))
    if not 1 <= values.capacity <= 5000:
        errors.append(field_error("capacity", _("名额应在 1 到 5000 之间")))
    if not Place.objects.filter(pk=values.venue_id, street=street).exists():
        errors.append(field_error("venue_id", _("本街道没有这个地点")))
    employers = list(Employer.objects.filter(pk__in=values.employer_ids, street=street, verified_at__isnull=False))
    if len(employers) != len(set(values.employer_ids)):
        errors.append(field_error("employer_ids", _("参展单位须是本街道已核验的用人单位")))
    if not values.employer_ids:
        errors.append(field_error("employer_ids", _("请选择参展的用人单位")))
    if errors:
        raise Problem("validation_error", errors=errors)
    venue = Place.objects.get(pk=values.venue_id)
    fair = Fair.objects.create(street=street, title=values.title.strip(), venue=venue, start=values.start,
                               end=values.end, created_by=actor, created_at=now)  # fmt: skip
    activity = activity_create(
        street=street, place=venue, title=fair.title, start=values.start, end=values.end, capacity=values.capacity,
        category=Category.OTHER, organiser=str(_("就业服务站")), status=ActivityStatus.PUBLISHED,
        description=str(format_lazy(_("{n} 家用人单位现场招聘"), n=len(employers))), tags=["招聘会"],
        external_id=f"jobs-fair-{fair.pk}", actor=None, waitlist_capacity=0,
    )  # fmt: skip
    fair.activity_id = activity.pk
    fair.save(update_fields=["activity_id"])
    for i, employer in enumerate(sorted(employers, key=lambda e: e.pk), start=1):
        booth = Booth.objects.create(fair=fair, employer=employer, number=i)
        booth.jobs.set(
            Job.objects.filter(employer=employer, status=JobStatus.OPEN, valid_through__gte=values.start.date())
        )
    audit_log(actor=actor, action="jobs.fair.create", street=street, obj=fair, data={"booths": len(employers)})
    return fair


def registered_seekers(fair: Fair) -> list[Seeker]:
    """The street's active job seekers who registered for the fair (a live booking of its activity, by their own
    account or the account of their phone number)."""
    if fair.activity_id is None:
        return []
    bookings = Booking.objects.filter(
        activity_id=int(fair.activity_id), status__in=(BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN)
    )
    users = list(bookings.values_list("user_id", "user__phone"))
    ids = [u for u, _p in users]
    phones = [p.removeprefix("+86") for _u, p in users if p]
    return list(
        Seeker.objects.filter(street=fair.street, active=True)
        .filter(Q(user_id__in=ids) | Q(phone__in=phones))
        .order_by("id")
    )


@dataclass(frozen=True)
class BoothRow:
    seeker: Seeker
    job: Job
    match: matching.Match
    application: Application | None


def booth_list(booth: Booth, seekers: list[Seeker]) -> list[BoothRow]:
    """The registered seekers ranked against the booth's jobs: each seeker's best job of the booth, with the
    reasons (travel from their home included)."""
    jobs = list(booth.jobs.all())
    if not jobs:
        return []
    graph = travel.graph_for(booth.fair.street_id)
    rows_by_job = {j.pk: matching.job_row(j) for j in jobs}
    apps = {(a.seeker_id, a.job_id): a for a in Application.objects.filter(job__in=jobs, seeker__in=seekers)}
    out = []
    for s in seekers:
        if s.lat is None or s.lng is None:
            continue
        router = travel.Router(graph, s.lat, s.lng, s.travel_mode, 24 * 60)
        best: tuple[matching.Match, Job] | None = None
        for j in jobs:
            m = matching.evaluate(s, rows_by_job[j.pk], router.trip(j.lat, j.lng))
            if best is None or (m.score, -m.minutes) > (best[0].score, -best[0].minutes):
                best = (m, j)
        if best is not None:
            out.append(BoothRow(s, best[1], best[0], apps.get((s.pk, best[1].pk))))
    return sorted(out, key=lambda r: (-r.match.score, r.match.minutes, r.seeker.pk))


@transaction.atomic
def fair_interview(*, fair: Fair, seeker: Seeker, job: Job, actor: User | None, note: str = "",
                   now: datetime | None = None) -> Application:  # fmt: skip
    """An interview agreed at a booth: the application (new, or an earlier step moved on) carries the fair."""
    now = now or timezone.now()
    if seeker.street_id != fair.street_id or not Booth.objects.filter(fair=fair, jobs=job).exists():
        raise Problem("not_found")
    note = note or str(format_lazy(_("招聘会「{fair}」现场约面试"), fair=fair.title))
    app = Application.objects.select_for_update().filter(seeker=seeker, job=job).first()
    if app is None:
        app = pipeline.application_create(seeker=seeker, job=job, actor=actor, note=note, now=now, source="fair")
    elif app.status not in BEFORE_INTERVIEW:
        raise Problem("jobs_application_exists")
    Application.objects.filter(pk=app.pk).update(fair=fair)
    app.fair = fair
    pipeline.application_move(application=app, to=AppStatus.INTERVIEW, actor=actor, note=note, now=now,
                              action="fair_interview")  # fmt: skip
    return app


def fair_results(fair: Fair) -> list[dict[str, Any]]:
    """Per booth: the interviews agreed at the fair, and how many became offers and hires."""
    apps = list(Application.objects.filter(fair=fair).values("job__employer_id", "interview_at", "offer_at",
                                                             "hired_at", "status"))  # fmt: skip
    out = []
    for booth in fair.booths.select_related("employer").order_by("number"):
        mine = [a for a in apps if a["job__employer_id"] == booth.employer_id]
        out.append({
            "booth": booth, "interviews": sum(1 for a in mine if a["interview_at"]),
            "offers": sum(1 for a in mine if a["offer_at"]), "hires": sum(1 for a in mine if a["hired_at"]),
        })  # fmt: skip
    return out
