"""Meals' pieces on lower domains' pages, served as htmx fragments into their slots (registered by
MealsConfig.ready()):

- core's "我的" (`core.hooks.ME_PANEL`): "我的长者优惠", the elder tier the resident's birth year gives them in
  their street (or what to fill in to get one).
- activities' "取消预约" form (`activities.hooks.BOOKING_CANCEL_PANEL`): the lunch ordered to the venue, with the
  choice "一起取消" or "改送到助餐点" posted with the cancellation (`services.booking_lunch`).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from linli.activities.models import Booking
from linli.activities.selectors import booking_get_for_user
from linli.core.auth import request_user
from linli.core.errors import Problem
from linli.meals.models import DiscountType, PricingTier, TierKind
from linli.meals.services import booking_lunch, pricing
from linli.meals.templatetags.linli_meals import yuan
from linli.meals.views.resident.context import _street_for


def elder_tier_url(*, user: Any, **_: Any) -> str | None:
    """The provider registered into core's ME_PANEL: every signed-in person may have an elder tier."""
    return reverse("meals:elder_tier_fragment") if getattr(user, "pk", None) else None


def tier_terms(tier: PricingTier) -> dict[str, Any]:
    """A tier as the resident reads it: its name, from which age, and what it takes off."""
    if tier.discount_type == DiscountType.PERCENT:
        off: dict[str, Any] = {"percent": int(tier.value)}
    else:
        off = {"yuan": yuan(int(tier.value))}
    return {
        "id": tier.pk,
        "name": tier.name,
        "name_en": tier.name_en,
        "min_age": tier.min_age,
        "slots": list(tier.slots or []),
        **off,
    }


@login_required
@require_GET
def elder_tier_fragment(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    street = _street_for(request)
    tiers = [] if street is None else [t for t in pricing.street_tiers(street) if t.kind == TierKind.AGE]
    tiers.sort(key=lambda t: t.min_age or 0)
    age = pricing.resident_age(user, timezone.localdate())
    reached = [t for t in tiers if age is not None and t.min_age is not None and age >= t.min_age]
    mine = max(reached, key=lambda t: t.min_age or 0) if reached else None
    ctx = {
        "street": street,
        "age": age,
        "tier": tier_terms(mine) if mine else None,
        "tiers": [tier_terms(t) for t in tiers],
        "first_age": tiers[0].min_age if tiers else None,
    }
    return render(request, "meals/resident/_elder_tier.html", ctx)


def booking_cancel_lunch_url(*, booking: Booking, **_: Any) -> str | None:
    """The provider registered into activities' BOOKING_CANCEL_PANEL: only when a lunch goes to the venue."""
    if not booking_lunch.venue_lunches(user_id=booking.user_id, activity_id=booking.activity_id):
        return None
    return reverse("meals:booking_cancel_lunch_fragment", args=[booking.pk])


@login_required
@require_GET
def booking_cancel_lunch_fragment(request: HttpRequest, booking_id: int) -> HttpResponse:
    try:
        booking = booking_get_for_user(booking_id=booking_id, user=request_user(request))
    except Problem as exc:
        raise Http404(str(booking_id)) from exc
    if booking.user_id != request.user.pk:
        raise Http404(str(booking_id))
    now = timezone.now()
    lunches = []
    for order in booking_lunch.venue_lunches(user_id=booking.user_id, activity_id=booking.activity_id):
        open_ = order.status == "placed" and order.menu.cutoff_at > now
        lunches.append(
            {
                "order": order,
                "field": booking_lunch.choice_field(order),
                "open": open_,
                "cutoff": timezone.localtime(order.menu.cutoff_at),
                "points": booking_lunch.meal_points_for(order) if open_ else [],
            }
        )
    return render(
        request, "meals/resident/_booking_cancel_lunch.html", {"lunches": lunches, "move": booking_lunch.MOVE}
    )
