"""What the live dashboard reads of volunteers: who is on duty now (checked in to a shift that is running), by
station place. Indexed: shifts by `start` (a day's window), their sign-ups."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count

from linli.volunteers.models import Signup, SignupStatus

LONGEST_SHIFT = timedelta(hours=24)


def on_duty_live(*, street_id: int, now: datetime) -> dict[int | None, int]:
    """Volunteers checked in (not yet out) to a shift running now, by the station's place."""
    rows = (
        Signup.objects.filter(
            shift__station__street_id=street_id,
            shift__start__gte=now - LONGEST_SHIFT,
            shift__start__lte=now,
            shift__end__gte=now,
            status=SignupStatus.CHECKED_IN,
        )
        .order_by()
        .values("shift__station__place_id")
        .annotate(n=Count("id"))
    )
    return {r["shift__station__place_id"]: r["n"] for r in rows}
