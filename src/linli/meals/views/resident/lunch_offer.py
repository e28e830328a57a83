"""The activity page's lunch offer: lunch to the venue of an activity that ends around noon."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from linli.activities.models import ACTIVE_BOOKING_STATUSES, Activity, ActivityStatus, Booking, BookingStatus
from linli.meals.models import (
    Menu,
    MenuStatus,
    Slot,
)
from linli.meals.views.resident.common import (
    LUNCH_OFFER_FROM,
    LUNCH_OFFER_TO,
    kitchens_serving,
)

# ------------------------------------------------------------------- the activity page's lunch offer


def activity_lunch_offer(*, activity: Activity, now: dt.datetime | None = None) -> dict[str, Any] | None:
    """The offer "顺便订午餐，送到活动地点": for an activity that ends between 11:00 and 13:30 (Shanghai), when a kitchen
    serves its venue and has an orderable lunch menu that day. Returns the link, or None."""
    now = now or timezone.now()
    end = timezone.localtime(activity.end)
    if not (LUNCH_OFFER_FROM <= end.time() <= LUNCH_OFFER_TO):
        return None
    day = end.date()
    kitchens = kitchens_serving(activity.place)
    menu = (
        Menu.objects.filter(
            kitchen__in=kitchens, date=day, slot=Slot.LUNCH, status=MenuStatus.PUBLISHED, cutoff_at__gt=now
        )
        .order_by("cutoff_at")
        .first()
    )
    if menu is None:
        return None
    query = urlencode({"date": day.isoformat(), "slot": Slot.LUNCH, "activity": activity.pk})
    return {
        "url": f"{reverse('meals:resident_menu', args=[activity.place_id])}?{query}",
        "cutoff": timezone.localtime(menu.cutoff_at),
        "venue": activity.place.name,
    }


def booking_lunch_offer(*, booking: Booking | None, now: dt.datetime | None = None) -> dict[str, Any] | None:
    """The offer for a live, confirmed booking (not for waitlisted or cancelled ones)."""
    if booking is None or booking.status not in ACTIVE_BOOKING_STATUSES:
        return None
    if booking.status == BookingStatus.WAITLISTED:
        return None
    if booking.activity.status != ActivityStatus.PUBLISHED:
        return None
    return activity_lunch_offer(activity=booking.activity, now=now)
