"""Where a report is, when the reporter gives no coordinates: a spot chosen from the street's own data (a compound
or a service point) or an address typed as text, located against the same data. Local only: nothing is sent to an
outside geocoder.

The phone page without JavaScript (no geolocation, no map) and Open311's `address_string` both rely on this, so a
reporter never has to type coordinates.

    spots = spot_choices(street=street)                       # the form's choices, grouped
    lat, lng, address = report_location(street=street, lat="", lng="", spot="compound:12", address="3号楼东侧")
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem, field_error
from linli.core.models import Compound, Street
from linli.places.models import Place

SPOT_KINDS = ("compound", "place")


def _places(street: Street) -> Any:
    return Place.objects.filter(street=street, is_active=True)


def address_geocode(*, street: Street, address: str) -> tuple[float, float, str] | None:
    """Locate a human-entered address within the street: the compound or service point whose name (or full
    address) it mentions, the longest match winning. Returns (lat, lng, matched name) or None. Local only."""
    text = address.strip()
    if not text:
        return None
    best: tuple[int, float, float, str] | None = None
    rows: list[tuple[str, str, float, float]] = list(
        Compound.objects.filter(street=street).values_list("name", "address", "lat", "lng")
    )
    rows += list(_places(street).values_list("name", "address", "lat", "lng"))
    for name, addr, lat, lng in rows:
        for candidate in (name, addr):
            candidate = (candidate or "").strip()
            if len(candidate) >= 2 and candidate in text and (best is None or len(candidate) > best[0]):
                best = (len(candidate), lat, lng, name)
    return (best[1], best[2], best[3]) if best else None


def spot_choices(*, street: Street) -> list[dict[str, Any]]:
    """The street's compounds and active service points as form choices, in two groups:
    [{"label": "小区", "spots": [{"value": "compound:12", "name", "address", "lat", "lng"}, ...]}, ...]."""
    compounds = [
        {"value": f"compound:{pk}", "name": name, "address": addr, "lat": lat, "lng": lng}
        for pk, name, addr, lat, lng in Compound.objects.filter(street=street)
        .order_by("name", "pk")
        .values_list("pk", "name", "address", "lat", "lng")
    ]
    places = [
        {"value": f"place:{pk}", "name": name, "address": addr, "lat": lat, "lng": lng}
        for pk, name, addr, lat, lng in _places(street)
        .order_by("name", "pk")
        .values_list("pk", "name", "address", "lat", "lng")
    ]
    groups = [(_("小区"), compounds), (_("服务点位"), places)]
    return [{"label": label, "spots": spots} for label, spots in groups if spots]


def spot_get(*, street: Street, value: str) -> tuple[float, float, str] | None:
    """(lat, lng, name) of a spot value of `spot_choices` in this street; None when it is not one."""
    kind, _sep, raw_id = (value or "").strip().partition(":")
    if kind not in SPOT_KINDS or not (raw_id.isascii() and raw_id.isdigit() and len(raw_id) <= 18):
        return None
    qs = Compound.objects.filter(street=street) if kind == "compound" else _places(street)
    row = qs.filter(pk=int(raw_id)).values_list("lat", "lng", "name").first()
    return (float(row[0]), float(row[1]), str(row[2])) if row else None


def report_location(*, street: Street, lat: Any, lng: Any, spot: str = "", address: str = "") -> tuple[Any, Any, str]:
    """(lat, lng, address) for a report: the coordinates when given (checked later by report_create); else the
    chosen spot's, with its name leading the address; else the typed address located by `address_geocode`.
    Problems: validation_error (an unknown spot, an address that matches nothing, no location at all)."""
    address = (address or "").strip()
    if str(lat or "").strip() or str(lng or "").strip():
        return lat, lng, address
    if (spot or "").strip():
        found = spot_get(street=street, value=spot)
        if found is None:
            raise Problem(
                "validation_error",
                detail=_("没有这个地点，请从列表中重新选择"),
                errors=[field_error("spot", _("没有这个地点，请重新选择"))],
            )
        s_lat, s_lng, name = found
        return s_lat, s_lng, (address if name in address else f"{name} {address}".strip())
    if address:
        located = address_geocode(street=street, address=address)
        if located is None:
            raise Problem(
                "validation_error",
                detail=_("没有找到这个位置，请从列表中选择小区或地点，或在地图上点选"),
                errors=[
                    field_error(
                        "address",
                        _("位置说明里没有找到本街道的小区或地点名称"),
                    )
                ],
            )
        return located[0], located[1], address
    raise Problem(
        "validation_error",
        detail=_("请提供位置：从列表中选择小区或地点，写明地址，或用定位、地图点选"),
        errors=[field_error("lat", _("请提供位置"))],
    )
