"""The station head's dashboard: seekers by need and occupation, jobs by sector, matches, placements per month,
days from registration to placement, 3-month retention, per station and street; each worker's caseload and
outcomes (比学赶超). Counts only: no personal data leaves here."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from linli.core.models import Street
from linli.jobs.models import PLACED, Application, AppStatus, HoursKind, Job, JobStatus, Seeker, Station
from linli.jobs.taxonomy import OCCUPATIONS


def _months(today: dt.date, n: int = 6) -> list[str]:
    y, m = today.year, today.month
    out = []
    for _i in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def dashboard(*, street: Street, today: dt.date) -> dict[str, Any]:
    seekers = Seeker.objects.filter(street=street, active=True)
    apps = Application.objects.filter(street=street)
    hired: list[tuple[dt.datetime, dt.datetime, str, int | None]] = [
        (h, r, s, st)
        for h, r, s, st in apps.filter(hired_at__isnull=False).values_list(
            "hired_at", "seeker__registered_at", "status", "seeker__station_id"
        )
        if h is not None
    ]
    months = _months(today)
    per_month = Counter(timezone.localtime(h).strftime("%Y-%m") for h, _r, _s, _st in hired)
    days = [max(0, (h - r).days) for h, r, _s, _st in hired if r is not None]
    cutoff = timezone.now() - dt.timedelta(days=91)
    due = [row for row in hired if row[0] <= cutoff]
    retained = [row for row in due if row[2] in (AppStatus.RETAINED,)]
    occupations: Counter[str] = Counter()
    needs: Counter[str] = Counter()
    for occ, hours in seekers.values_list("occupations", "hours"):
        occupations.update(occ or [])
        needs.update(hours or [])
    sectors = Counter(
        Job.objects.filter(street=street, status=JobStatus.OPEN).values_list("employer__sector", flat=True)
    )
    stations = []
    for st in Station.objects.filter(street=street).annotate(n=Count("seekers", filter=Q(seekers__active=True))):
        stations.append({"name": st.name, "seekers": st.n,
                         "placements": sum(1 for row in hired if row[3] == st.pk)})  # fmt: skip
    workers = (
        seekers.exclude(caseworker=None)
        .values("caseworker__display_name", "caseworker_id")
        .annotate(
            caseload=Count("id", distinct=True),
            placed=Count("applications", filter=Q(applications__status__in=PLACED), distinct=True),
            suggested=Count("applications", distinct=True),
        )  # fmt: skip
        .order_by("-placed", "caseworker_id")
    )
    return {
        "seekers": seekers.count(),
        "jobs": Job.objects.filter(street=street, status=JobStatus.OPEN, valid_through__gte=today).count(),
        "matches": apps.count(),
        "placed_now": apps.filter(status__in=PLACED).count(),
        "placements": [(m, per_month.get(m, 0)) for m in months],
        "median_days": statistics.median(days) if days else None,
        "retention": round(100 * len(retained) / len(due)) if due else None,
        "by_occupation": [(OCCUPATIONS[c].name if c in OCCUPATIONS else c, n) for c, n in occupations.most_common(10)],
        "by_need": [(HoursKind(c).label if c in HoursKind.values else c, n) for c, n in needs.most_common()],
        "by_sector": sectors.most_common(10),
        "stations": stations,
        "workers": list(workers),
    }
