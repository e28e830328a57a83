"""Matching that explains itself: for a seeker, the open jobs within their reach ranked by skills overlap
(essential weighed over optional), wanted occupation, hours fit, constraints and travel time from home; for a job,
the street's seekers ranked the same way. Every match carries its reasons (`reason_text` renders one in the
active language: "会做中式面点 ✓", "步行 12 分钟", "只能做上午 ✗").

The street's open jobs are kept in process as plain tuples (`_job_index`, rebuilt when a job changes), and one
Dijkstra from the seeker's home reaches them all (`travel.Router`). `seeker_matches_scan` is the brute-force
reference the tests and the benchmark compare against: every job read from the database, one route per job."""

from __future__ import annotations

import heapq
import math
import threading
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Max
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem
from linli.core.i18n import Text, choice_label, join_lazy
from linli.jobs.models import Constraint, HoursKind, Job, JobStatus, Seeker, Shift, TravelMode
from linli.jobs.services import travel
from linli.jobs.taxonomy import OCCUPATIONS, skill_label

__all__ = ["skill_label"]


@dataclass(frozen=True)
class JobRow:
    id: int
    title: str
    employer: str
    occupation: str
    lat: float
    lng: float
    essential: frozenset[str]
    optional: frozenset[str]
    hours_kind: str
    shifts: frozenset[str]
    step_free: bool
    heavy_lifting: bool
    valid_through: date


@dataclass(frozen=True)
class Match:
    job_id: int
    seeker_id: int
    score: float
    minutes: int
    reasons: list[dict[str, Any]]


def job_row(j: Job) -> JobRow:
    return JobRow(j.pk, j.title, j.employer.name, j.occupation, j.lat, j.lng, frozenset(j.skills_essential),
                  frozenset(j.skills_optional), j.hours_kind, frozenset(j.shifts), j.step_free, j.heavy_lifting,
                  j.valid_through)  # fmt: skip


_index: dict[int, tuple[tuple[int, Any], list[JobRow]]] = {}
_lock = threading.Lock()


def _open_jobs(street_id: int) -> Any:
    return Job.objects.filter(street_id=street_id, status=JobStatus.OPEN)


def _job_index(street_id: int) -> list[JobRow]:
    mark = _open_jobs(street_id).aggregate(n=Count("id"), last=Max("updated_at"))
    version = (int(mark["n"] or 0), mark["last"])
    cached = _index.get(street_id)
    if cached is not None and cached[0] == version:
        return cached[1]
    with _lock:
        rows = [job_row(j) for j in _open_jobs(street_id).select_related("employer").order_by("id")]
        _index[street_id] = (version, rows)
    return rows


def evaluate(seeker: Seeker, job: JobRow, trip: travel.Trip) -> Match:
    """The score and reasons of one seeker and one job, travel already known."""
    reasons: list[dict[str, Any]] = []
    have = set(seeker.skills)
    ess_hit = sorted(job.essential & have)
    opt_hit = sorted(job.optional & have)
    for s in sorted(job.essential):
        reasons.append({"kind": "skill", "ok": s in have, "skill": s, "essential": True})
    for s in opt_hit:
        reasons.append({"kind": "skill", "ok": True, "skill": s, "essential": False})
    total = 2 * len(job.essential) + len(job.optional)
    skill_score = (2 * len(ess_hit) + len(opt_hit)) / total if total else 0.5
    score = 50 * skill_score
    if job.occupation in seeker.occupations:
        score += 15
        reasons.insert(0, {"kind": "occupation", "ok": True, "occupation": job.occupation})
    travel_ok = trip.minutes <= seeker.max_minutes
    reasons.append({"kind": "travel", "ok": travel_ok, "mode": trip.mode, "minutes": trip.minutes,
                    "by_roads": trip.by_roads})  # fmt: skip
    score += 15 * max(0.0, 1 - trip.minutes / max(1, seeker.max_minutes))
    shifts_ok = job.hours_kind == HoursKind.FLEXIBLE or not seeker.shifts or job.shifts <= set(seeker.shifts)
    if Constraint.NO_NIGHT in seeker.constraints and Shift.NIGHT in job.shifts:
        shifts_ok = False
    kind_ok = not seeker.hours or job.hours_kind in seeker.hours or job.hours_kind == HoursKind.FLEXIBLE
    reasons.append({"kind": "shifts", "ok": shifts_ok, "seeker": list(seeker.shifts), "job": sorted(job.shifts),
                    "hours_kind": job.hours_kind})  # fmt: skip
    if not kind_ok:
        reasons.append({"kind": "hours_kind", "ok": False, "hours_kind": job.hours_kind})
    score += 20 if shifts_ok and kind_ok else -40
    for c in seeker.constraints:
        ok: bool | None = None
        if c == Constraint.WHEELCHAIR:
            ok = job.step_free
        elif c == Constraint.NO_HEAVY:
            ok = not job.heavy_lifting
        elif c == Constraint.CAREGIVING:
            ok = job.hours_kind in (HoursKind.PART_TIME, HoursKind.FLEXIBLE, HoursKind.SCHOOL_HOURS)
        if ok is not None:
            reasons.append({"kind": "constraint", "ok": ok, "constraint": c})
            score += 5 if ok else -40
    return Match(job.id, seeker.pk, round(score, 2), trip.minutes, reasons)


def _score(seeker: Seeker, have: frozenset[str], wanted: frozenset[str], shifts: frozenset[str],
           hours: frozenset[str], job: JobRow, minutes: int) -> float:  # fmt: skip
    """`evaluate`'s score without its reasons (the same arithmetic, in the same order: equal floats)."""
    total = 2 * len(job.essential) + len(job.optional)
    skill_score = (2 * len(job.essential & have) + len(job.optional & have)) / total if total else 0.5
    score = 50 * skill_score
    if job.occupation in wanted:
        score += 15
    score += 15 * max(0.0, 1 - minutes / max(1, seeker.max_minutes))
    flexible = job.hours_kind == HoursKind.FLEXIBLE
    shifts_ok = flexible or not shifts or job.shifts <= shifts
    if Constraint.NO_NIGHT in seeker.constraints and Shift.NIGHT in job.shifts:
        shifts_ok = False
    kind_ok = not hours or job.hours_kind in hours or flexible
    score += 20 if shifts_ok and kind_ok else -40
    for c in seeker.constraints:
        if c == Constraint.WHEELCHAIR:
            score += 5 if job.step_free else -40
        elif c == Constraint.NO_HEAVY:
            score += 5 if not job.heavy_lifting else -40
        elif c == Constraint.CAREGIVING:
            score += 5 if job.hours_kind in (HoursKind.PART_TIME, HoursKind.FLEXIBLE, HoursKind.SCHOOL_HOURS) else -40
    return round(score, 2)


def _origin(seeker: Seeker) -> tuple[float, float]:
    if seeker.lat is None or seeker.lng is None:
        raise Problem("jobs_no_home")
    return seeker.lat, seeker.lng


def _rank(matches: list[Match]) -> list[Match]:
    return sorted(matches, key=lambda m: (-m.score, m.minutes, m.job_id, m.seeker_id))


def seeker_matches(seeker: Seeker, *, today: date | None = None, limit: int = 50) -> list[Match]:
    """The open jobs within the seeker's reach, best first."""
    today = today or timezone.localdate()
    lat, lng = _origin(seeker)
    router = travel.Router(travel.graph_for(seeker.street_id), lat, lng, seeker.travel_mode, seeker.max_minutes)
    # A job further in a straight line than the seeker can travel is never reached over the roads either.
    reach_m = router.cutoff_m + (travel.SNAP_LIMIT_M if router.origin is not None else 0)
    dlat = reach_m / 111_320
    dlng = dlat / max(0.1, math.cos(math.radians(lat)))
    # Score every job within reach without building reasons (the hot loop); reasons only for the ranked few.
    have = frozenset(seeker.skills)
    wanted = frozenset(seeker.occupations)
    shifts = frozenset(seeker.shifts)
    hours = frozenset(seeker.hours)
    scored: list[tuple[float, int, int, JobRow, travel.Trip]] = []
    for job in _job_index(seeker.street_id):
        if abs(job.lat - lat) > dlat or abs(job.lng - lng) > dlng or job.valid_through < today:
            continue
        trip = router.trip(job.lat, job.lng)
        if trip.minutes <= seeker.max_minutes:
            score = _score(seeker, have, wanted, shifts, hours, job, trip.minutes)
            scored.append((-score, trip.minutes, job.id, job, trip))
    best = heapq.nsmallest(limit, scored, key=lambda t: (t[0], t[1], t[2]))
    return _rank([evaluate(seeker, job, trip) for _s, _m, _i, job, trip in best])


def seeker_matches_scan(seeker: Seeker, *, today: date | None = None, limit: int = 50) -> list[Match]:
    """The brute-force reference: every open job read from the database, one route computed per job."""
    today = today or timezone.localdate()
    lat, lng = _origin(seeker)
    graph = travel.graph_for(seeker.street_id)
    out: list[Match] = []
    for j in _open_jobs(seeker.street_id).select_related("employer"):
        if j.valid_through < today:
            continue
        router = travel.Router(graph, lat, lng, seeker.travel_mode, 24 * 60)
        trip = router.trip(j.lat, j.lng)
        if trip.minutes <= seeker.max_minutes:
            out.append(evaluate(seeker, job_row(j), trip))
    return _rank(out)[:limit]


def job_matches(job: Job, *, limit: int = 50) -> list[Match]:
    """The street's active seekers who can reach the job, best first (roads are two-way: one Dijkstra from
    the job reaches every home)."""
    row = job_row(job)
    seekers = list(Seeker.objects.filter(street_id=job.street_id, active=True, lat__isnull=False))
    if not seekers:
        return []
    graph = travel.graph_for(job.street_id)
    longest = max(s.max_minutes for s in seekers)
    routers = {mode: travel.Router(graph, job.lat, job.lng, mode, longest) for mode in {s.travel_mode for s in seekers}}
    out: list[Match] = []
    for s in seekers:
        trip = routers[s.travel_mode].trip(s.lat or 0.0, s.lng or 0.0)
        if trip.minutes <= s.max_minutes:
            out.append(evaluate(s, row, trip))
    return _rank(out)[:limit]


def _shift_names(codes: list[str]) -> str:
    return "、".join(str(choice_label(Shift, c)) for c in codes) if codes else str(_("任何时段"))


def _marked(text: Text, mark: str) -> Text:
    return join_lazy([text, mark], "")


def reason_text(r: dict[str, Any]) -> Text:
    """One reason in the active language."""
    kind = r.get("kind")
    mark = " ✓" if r.get("ok") else " ✗"
    if kind == "skill":
        return _marked(skill_label(str(r.get("skill"))), mark)
    if kind == "occupation":
        occupation = OCCUPATIONS.get(str(r.get("occupation")))
        return _marked(format_lazy(_("想做{occupation}"), occupation=occupation.name if occupation else ""), mark)
    if kind == "travel":
        minutes = r.get("minutes")
        if r.get("mode") == TravelMode.TRANSIT:
            return format_lazy(_("公交地铁约 {minutes} 分钟（无时刻表，按平均速度估算）"), minutes=minutes)
        mode = choice_label(TravelMode, str(r.get("mode")))
        if r.get("by_roads"):
            return format_lazy(_("{mode} {minutes} 分钟"), mode=mode, minutes=minutes)
        return format_lazy(
            _("{mode}约 {minutes} 分钟（未导入路网，按直线距离×绕行系数估算）"), mode=mode, minutes=minutes
        )
    if kind == "shifts":
        if r.get("ok"):
            if r.get("hours_kind") == HoursKind.FLEXIBLE:
                return _marked(_("时间灵活"), mark)
            return _marked(format_lazy(_("{shifts}班次合适"), shifts=_shift_names(list(r.get("job") or []))), mark)
        return _marked(format_lazy(_("只能做{shifts}"), shifts=_shift_names(list(r.get("seeker") or []))), mark)
    if kind == "hours_kind":
        return _marked(format_lazy(_("这是{kind}岗位"), kind=choice_label(HoursKind, str(r.get("hours_kind")))), mark)
    if kind == "constraint":
        return _marked(choice_label(Constraint, str(r.get("constraint"))), mark)
    return str(kind)


def reasons_text(reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"ok": bool(r.get("ok")), "kind": r.get("kind"), "text": str(reason_text(r))} for r in reasons]
