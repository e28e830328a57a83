"""Needs (我要吃饭, 我要办事, ...): the resident's question, mapped onto kinds, services and amenities.

A place meets a need when its kind, one of its services or one of its amenities is listed for that need.
The map page's filter chips are these needs, in this order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from linli.places.models import EATING_KINDS


@dataclass(frozen=True)
class Need:
    code: str
    label: Promise
    kinds: frozenset[str] = frozenset()
    services: frozenset[str] = frozenset()
    amenities: frozenset[str] = frozenset()

    def matches(self, place: dict[str, Any]) -> bool:
        """`place` is the API shape (`place_to_dict`): kind, services and amenities as code lists."""
        return (
            place.get("kind") in self.kinds
            or not self.services.isdisjoint(place.get("services") or ())
            or not self.amenities.isdisjoint(place.get("amenities") or ())
        )


NEEDS: tuple[Need, ...] = (
    Need(
        "meal",
        _("我要吃饭"),
        kinds=EATING_KINDS,
        services=frozenset({"meal"}),
    ),
    Need(
        "affairs",
        _("我要办事"),
        kinds=frozenset({"affairs_center", "remote_service_point", "party_service_center"}),
        services=frozenset({"affairs"}),
    ),
    Need(
        "charging",
        _("我要充电"),
        services=frozenset({"phone_charging"}),
        amenities=frozenset({"ebike_charging"}),
    ),
    Need("medical", _("我要看病"), kinds=frozenset({"medical_point"}), services=frozenset({"medical"})),
    Need("employment", _("找工作"), kinds=frozenset({"employment_station"}), services=frozenset({"employment"})),
    Need("rest", _("歇歇脚"), services=frozenset({"rider_rest", "drinking_water", "toilet"})),
)
NEEDS_BY_CODE: dict[str, Need] = {n.code: n for n in NEEDS}


def need_get(code: str | None) -> Need | None:
    """The need with this code, or None for "all" (an unknown code also means all)."""
    return NEEDS_BY_CODE.get(code or "")
