"""What the live dashboard reads of activities: today's bookings and check-ins by venue. Indexed: today's
activities by `start`, then their bookings by (activity, status)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count

from linli.activities.models import Booking, BookingStatus

BOOKED = (BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN, BookingStatus.NO_SHOW)


def bookings_today_live(*, street_id: int, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Bookings of the activities starting in [start, end) by (venue, status): [{"place_id", "status", "n"}]."""
    return list(
        Booking.objects.filter(
            activity__street_id=street_id, activity__start__gte=start, activity__start__lt=end, status__in=list(BOOKED)
        )
        .order_by()
        .values("activity__place_id", "status")
        .annotate(n=Count("id"))
        .values("activity__place_id", "status", "n")
    )
