"""The activity page's lunch offer: lunch to the venue of an activity that ends around noon.

Served as an htmx fragment (`lunch_offer_fragment`) into activities' `BOOKING_PANEL` slot (registered by
MealsConfig.ready()): the activity page and "我的预约" load it beside a live booking, so activities never imports
meals."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from linli.activities.models import ACTIVE_BOOKING_STATUSES, Activity, ActivityStatus, Booking, BookingStatus
from linli.activities.selectors import booking_get_for_user
from linli.core.auth import request_user
from linli.core.errors import Problem
from linli.meals.models import (
    Menu,
    MenuStatus,
    Slot,
)
from linli.meals.views.resident.context import (
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


def _may_offer(booking: Booking | None) -> bool:
    """A live, confirmed booking of a published activity (not a waitlisted or cancelled one)."""
    if booking is None or booking.status not in ACTIVE_BOOKING_STATUSES:
        return False
    if booking.status == BookingStatus.WAITLISTED:
        return False
    return booking.activity.status == ActivityStatus.PUBLISHED


def booking_lunch_offer(*, booking: Booking | None, now: dt.datetime | None = None) -> dict[str, Any] | None:
    """The offer for a live, confirmed booking (not for waitlisted or cancelled ones)."""
    if booking is None or not _may_offer(booking):
        return None
    return activity_lunch_offer(activity=booking.activity, now=now)


# ------------------------------------------------------------------------ the fragment on activities' pages

FRAGMENT_VIEWS = ("detail", "list")


def lunch_offer_url(*, booking: Booking | None, view: str, **_: Any) -> str | None:
    """The provider registered into activities' BOOKING_PANEL: the fragment's URL for a booking that may get
    the offer (the fragment itself checks the menus)."""
    if booking is None or not _may_offer(booking) or view not in FRAGMENT_VIEWS:
        return None
    return f"{reverse('meals:lunch_offer_fragment', args=[booking.pk])}?view={view}"


@require_GET
def lunch_offer_fragment(request: HttpRequest, booking_id: int) -> HttpResponse:
    """The offer beside one of the signed-in resident's bookings ("view=detail": the activity page; "view=list":
    a card of "我的预约"); empty when there is none."""
    try:
        booking = booking_get_for_user(booking_id=booking_id, user=request_user(request))
    except Problem as exc:
        raise Http404(str(booking_id)) from exc
    if booking.user_id != request.user.pk:  # staff may read it, but the offer is the booker's own
        raise Http404(str(booking_id))
    view = request.GET.get("view") if request.GET.get("view") in FRAGMENT_VIEWS else "detail"
    ctx = {"offer": booking_lunch_offer(booking=booking), "booking_id": booking.pk, "view": view}
    return render(request, "meals/resident/_lunch_offer.html", ctx)
