from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject


def _today() -> Any:
    return timezone.localdate()


def holiday_notice(request: HttpRequest) -> dict[str, Any] | None:
    """For staff only: the years within the next 90 days that have no official holiday arrangement (opening
    hours, the assistant and every "working day" question then fall back to weekends)."""
    from linli.core.holidays import calendar
    from linli.core.models import STAFF_ROLES
    from linli.core.selectors import user_street_ids

    missing = calendar.years_without_official_data(_today())
    user = getattr(request, "user", None)
    if not missing or user is None or not user.is_authenticated:
        return None
    if not (user.is_staff or user_street_ids(user, roles=STAFF_ROLES)):
        return None
    return {"years": "、".join(str(y) for y in missing), "first": missing[0], "days": calendar.WARN_DAYS}


def linli(request: HttpRequest) -> dict[str, Any]:
    from linli.core.resume import take

    return {
        "resume": take(request),
        "elder_mode": getattr(request, "elder_mode", False),
        "linli_mode": settings.LINLI_MODE,
        "map_tile_url": settings.LINLI_MAP_TILE_URL,
        "map_tile_attribution": settings.LINLI_MAP_TILE_ATTRIBUTION,
        "holiday_notice": SimpleLazyObject(lambda: holiday_notice(request)),
    }
