"""Sentinel points ("mobile sentinel", 移动哨兵): riders earn points when a case they reported is verified.

One entry per report (SentinelPoints.report is unique): verifying a case again after a reopen never pays twice.
Only reporters who hold the `rider` role in the case's street earn points.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from linli.cases.models import Case, Report, SentinelPoints
from linli.core.models import Role, RoleAssignment
from linli.core.notifications import notify_user


def points_award_for_case(*, case: Case, now: datetime | None = None) -> int:
    """Give `case.category.points` to every rider reporter of the case, once per report; tell each after
    commit. Call inside the verifying transaction. Returns how many reports earned points now."""
    now = now or timezone.now()
    points = case.category.points
    if points <= 0:
        return 0
    reports = list(Report.objects.filter(case=case, reporter__isnull=False).select_related("reporter"))
    if not reports:
        return 0
    riders = set(
        RoleAssignment.objects.filter(
            street_id=case.street_id, role=Role.RIDER, user_id__in={r.reporter_id for r in reports}
        ).values_list("user_id", flat=True)
    )
    already = set(SentinelPoints.objects.filter(report__in=reports).values_list("report_id", flat=True))
    fresh = [r for r in reports if r.reporter is not None and r.reporter.pk in riders and r.pk not in already]
    if not fresh:
        return 0
    SentinelPoints.objects.bulk_create(
        [SentinelPoints(user=r.reporter, street_id=case.street_id, report=r, points=points, at=now) for r in fresh],
        ignore_conflicts=True,  # a concurrent verification of the same report: the unique index keeps one
    )

    told: set[int] = set()
    for r in fresh:
        if r.reporter is None or r.reporter.pk in told:
            continue
        told.add(r.reporter.pk)
        notify_user(
            user=r.reporter,
            message_zh=f"您上报的隐患（事件 #{case.pk}「{case.category.name_zh}」）已核实，获得 {points} 哨兵积分，感谢！",
            message_en=f"The hazard you reported (case #{case.pk}) was verified: +{points} sentinel points. Thank you!",
        )
    return len(fresh)
