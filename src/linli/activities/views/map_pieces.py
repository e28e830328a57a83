"""Activities' pieces of the service map, served as htmx fragments into places' slots (`linli.places.hooks`,
registered by ActivitiesConfig.ready()), so places never imports activities:

- the place page's "本月活动" section: this month's published activities at the venue;
- the map page's "本月活动 N →" button to the street's activities;
- the map list's badge "本月N场活动" on each place that has some (out-of-band swaps into the places' items).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from linli.activities import selectors
from linli.activities.views import _decorate
from linli.core import selectors as core_selectors
from linli.core.errors import Problem
from linli.core.models import Street
from linli.places import selectors as place_selectors
from linli.places.models import Place

MAX_BADGE_IDS = 2000


def _this_month(now: datetime) -> str:
    return timezone.localtime(now).strftime("%Y-%m")


def venue_activities_this_month(*, place: Place, now: datetime | None = None) -> list[dict[str, Any]]:
    """This month's published activities at a venue, for the place page of the service map."""
    now = now or timezone.now()
    return [_decorate(a, now) for a in selectors.activity_list(place=place, month=_this_month(now))]


def street_activity_counts_this_month(*, street: Street, now: datetime | None = None) -> dict[int, int]:
    """Place id -> number of this month's published activities there (the map list's badge)."""
    now = now or timezone.now()
    counts: dict[int, int] = {}
    for place_id in selectors.activity_list(street=street, month=_this_month(now)).values_list("place_id", flat=True):
        counts[place_id] = counts.get(place_id, 0) + 1
    return counts


def _street_or_404(code: str) -> Street:
    try:
        return core_selectors.street_get(code=code)
    except Problem as exc:
        raise Http404(code) from exc


# ------------------------------------------------------------------------------------ the fragments


@require_GET
def venue_activities(request: HttpRequest, place_id: int) -> HttpResponse:
    """The place page's section of this month's activities at the venue (empty when there are none)."""
    try:
        place = place_selectors.place_get(place_id=place_id)
    except Problem as exc:
        raise Http404(str(place_id)) from exc
    now = timezone.now()
    ctx = {
        "activities": venue_activities_this_month(place=place, now=now),
        "activities_url": reverse("activities:street_list", args=[place.street.code]),
        "now": now,
    }
    return render(request, "activities/_venue_activities.html", ctx)


@require_GET
def map_link(request: HttpRequest, code: str) -> HttpResponse:
    """The map page's button to the street's activities, with this month's count."""
    street = _street_or_404(code)
    counts = street_activity_counts_this_month(street=street)
    ctx = {"activities_url": reverse("activities:street_list", args=[street.code]), "total": sum(counts.values())}
    return render(request, "activities/_map_link.html", ctx)


@require_GET
def map_badges(request: HttpRequest, code: str) -> HttpResponse:
    """The badge "本月N场活动" for each listed place (`?ids=1,2,3`) that has activities this month, as out-of-band
    swaps into the places' items; the fragment itself is empty."""
    street = _street_or_404(code)
    ids: set[int] = set()
    for part in (request.GET.get("ids") or "").split(",")[:MAX_BADGE_IDS]:
        if part.strip().isdigit():
            ids.add(int(part))
    counts = street_activity_counts_this_month(street=street)
    badges = [{"place_id": pid, "count": n} for pid, n in sorted(counts.items()) if pid in ids]
    return render(request, "activities/_map_badges.html", {"badges": badges})


# --------------------------------------------------------------------- providers for places' slots


def venue_activities_url(*, place: Place, **_: Any) -> str:
    return reverse("activities:venue_activities", args=[place.pk])


def map_link_url(*, street: Street, **_: Any) -> str:
    return reverse("activities:map_link", args=[street.code])


def map_badges_url(*, street: Street, place_ids: list[int], **_: Any) -> str | None:
    if not place_ids:
        return None
    return f"{reverse('activities:map_badges', args=[street.code])}?ids={','.join(str(i) for i in place_ids)}"
