"""Reads for service points: lists, detail, the API shape, GeoJSON and the nearest search.

Public reads of active places are city-wide (a resident may use any street's map); staff scoping for the back
office lives in `place_list_for_staff`. The nearest search uses one process-wide `PointIndex` over all active
places, rebuilt when the version in Django's cache (bumped by services after every place write) changes.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from linli.core.errors import Problem
from linli.core.geo import WALK_CIRCLE_MINUTES, in_walk_circle, navigation_links, walk_minutes
from linli.core.models import Street
from linli.core.selectors import street_get, user_street_ids
from linli.places.hours import hours_status
from linli.places.models import PLACE_KIND_EN, Place, PlaceKind, Service

INDEX_VERSION_KEY = "linli:places:index_version"
VERSION_CHECK_SECONDS = 1.0


def _street(street: Street | str | None) -> Street | None:
    if street is None or isinstance(street, Street):
        return street
    return street_get(code=street)


def check_kind(kind: str) -> None:
    if kind not in PlaceKind.values:
        raise Problem(
            "unknown_kind",
            detail_zh=f"没有点位类型 {kind}",
            detail_en=f"No kind {kind}; known kinds: {', '.join(PlaceKind.values)}",
        )


def check_service(code: str, street: Street | None) -> None:
    qs = Service.objects.filter(code=code)
    if street is not None:
        qs = qs.filter(Q(street__isnull=True) | Q(street=street))
    if not qs.exists():
        raise Problem("unknown_service", detail_zh=f"没有服务 {code}", detail_en=f"No service {code}")


# ------------------------------------------------------------------------------------------- lists


def place_list(
    *,
    street: Street | str | None = None,
    kind: str | None = None,
    service: str | None = None,
    q: str | None = None,
) -> QuerySet[Place]:
    """Active places, optionally filtered; unknown street/kind/service raise a Problem (never an empty 500)."""
    st = _street(street)
    qs = Place.objects.filter(is_active=True).select_related("street").prefetch_related("services")
    if st is not None:
        qs = qs.filter(street=st)
    if kind:
        check_kind(kind)
        qs = qs.filter(kind=kind)
    if service:
        check_service(service, st)
        qs = qs.filter(id__in=Place.services.through.objects.filter(service__code=service).values("place_id"))
    if q and q.strip():
        term = q.strip()
        qs = qs.filter(Q(name__icontains=term) | Q(address__icontains=term) | Q(description__icontains=term))
    return qs.order_by("street__code", "name", "id")


def place_list_for_staff(*, user: Any, roles: Any = None) -> QuerySet[Place]:
    """Every place (active or not) in the streets where `user` holds a role: the back-office listing."""
    return Place.objects.filter(street_id__in=user_street_ids(user, roles)).select_related("street")


def place_get(*, place_id: int) -> Place:
    place = (
        Place.objects.filter(pk=place_id, is_active=True).select_related("street").prefetch_related("services").first()
    )
    if place is None:
        raise Problem("not_found", detail_zh="找不到该服务点位", detail_en="No such service point")
    return place


def service_list(*, street: Street | str | None = None) -> list[Service]:
    """The default catalogue plus that street's own services (a street's own entry wins over a default)."""
    st = _street(street)
    qs = Service.objects.filter(street__isnull=True)
    if st is not None:
        qs = Service.objects.filter(Q(street__isnull=True) | Q(street=st))
    by_code: dict[str, Service] = {}
    for s in qs.select_related("street").order_by("street_id"):
        if s.code not in by_code or s.street_id is not None:
            by_code[s.code] = s
    return sorted(by_code.values(), key=lambda s: (s.sort_order, s.code))


def service_to_dict(service: Service) -> dict[str, Any]:
    return {
        "code": service.code,
        "name": service.name_zh,
        "name_en": service.name_en,
        "category": service.category,
        "street": service.street.code if service.street is not None else None,
    }


# ---------------------------------------------------------------------------------------- API shape


def place_to_dict(
    place: Place, *, at: dt.datetime | None = None, origin: tuple[float, float] | None = None
) -> dict[str, Any]:
    at = at or timezone.now()
    status = hours_status(place.opening_hours, at) if place.opening_hours else None
    data: dict[str, Any] = {
        "id": place.pk,
        "external_id": place.external_id,
        "name": place.name,
        "kind": place.kind,
        "kind_name": str(PlaceKind(place.kind).label) if place.kind in PlaceKind.values else place.kind,
        "kind_name_en": PLACE_KIND_EN.get(place.kind, place.kind),
        "street": place.street.code,
        "address": place.address,
        "location": {"lat": place.lat, "lng": place.lng},
        "phone": place.phone,
        "services": sorted(s.code for s in place.services.all()),
        "amenities": list(place.amenities or []),
        "opening_hours": place.opening_hours,
        "open_now": status.open_now if status else None,
        "hours_state": status.state if status else "unknown",
        "next_open": status.next_open.isoformat() if status and status.next_open else None,
        "next_close": status.next_close.isoformat() if status and status.next_close else None,
        "capacity": place.capacity,
        "description": place.description,
        "navigation": navigation_links(place.lat, place.lng, place.name),
    }
    if origin is not None:
        from linli.core.geo import haversine_m

        d = haversine_m(origin[0], origin[1], place.lat, place.lng)
        data["distance_m"] = round(d)
        data["walk_minutes"] = walk_minutes(d)
        data["in_walk_circle"] = in_walk_circle(d)
    return data


def places_geojson(*, street: Street | str) -> dict[str, Any]:
    """The street's active places as a GeoJSON FeatureCollection (the import format plus `place_id`)."""
    from linli.places.services import places_export

    st = _street(street)
    if st is None:
        raise Problem("unknown_street")
    collection = places_export(street=st)
    ids = dict(Place.objects.filter(street=st, is_active=True).values_list("external_id", "id"))
    for f in collection["features"]:
        f["id"] = ids.get(f["properties"]["id"])
    collection["street"] = st.code
    return collection


# ----------------------------------------------------------------------------------- nearest search


@dataclass(frozen=True)
class _Snapshot:
    """One consistent build of the index and the attributes its filters read (swapped in one assignment)."""

    index: Any
    street_of: dict[int, int] = field(default_factory=dict)
    kind_of: dict[int, str] = field(default_factory=dict)
    services_of: dict[int, frozenset[str]] = field(default_factory=dict)
    hours_of: dict[int, str] = field(default_factory=dict)


@dataclass
class _IndexState:
    version: Any = None
    checked_at: float = 0.0
    snapshot: _Snapshot | None = None


_state = _IndexState()
_lock = threading.Lock()


def nearest_index_invalidate_local() -> None:
    """Force this process to rebuild on its next search (services call it after their own writes)."""
    _state.checked_at = 0.0
    _state.version = object()  # never equal to a cache value


def _build() -> _Snapshot:
    from linli.places.index import PointIndex

    rows = list(
        Place.objects.filter(is_active=True).values_list("id", "lat", "lng", "street_id", "kind", "opening_hours")
    )
    services: dict[int, set[str]] = {}
    through = Place.services.through.objects.filter(place__is_active=True).values_list("place_id", "service__code")
    for pid, code in through:
        services.setdefault(pid, set()).add(code)
    return _Snapshot(
        index=PointIndex([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]),
        street_of={r[0]: r[3] for r in rows},
        kind_of={r[0]: r[4] for r in rows},
        hours_of={r[0]: r[5] for r in rows},
        services_of={pid: frozenset(codes) for pid, codes in services.items()},
    )


def _current_index() -> _Snapshot:
    snapshot = _state.snapshot
    if snapshot is not None and time.monotonic() - _state.checked_at < VERSION_CHECK_SECONDS:
        return snapshot
    with _lock:
        version = cache.get(INDEX_VERSION_KEY)
        if version is None:
            cache.add(INDEX_VERSION_KEY, time.time_ns(), timeout=None)
            version = cache.get(INDEX_VERSION_KEY)
        if _state.snapshot is None or version != _state.version:
            _state.snapshot = _build()
            _state.version = version
        _state.checked_at = time.monotonic()
        return _state.snapshot


def places_nearest(
    *,
    lat: float,
    lng: float,
    service: str | None = None,
    kind: str | None = None,
    open_now: bool | None = None,
    street: Street | str | None = None,
    limit: int = 10,
    at: dt.datetime | None = None,
    max_distance_m: float | None = None,
) -> list[dict[str, Any]]:
    """Active places nearest to (lat, lng), city-wide unless `street` is given, each with distance and walk."""
    st = _street(street)
    if kind:
        check_kind(kind)
    if service:
        check_service(service, st)
    at = at or timezone.now()
    state = _current_index()
    checks: list[Callable[[int], bool]] = []
    if st is not None:
        sid = st.pk
        checks.append(lambda pid: state.street_of.get(pid) == sid)
    if kind:
        checks.append(lambda pid: state.kind_of.get(pid) == kind)
    if service:
        empty: frozenset[str] = frozenset()
        checks.append(lambda pid: service in state.services_of.get(pid, empty))
    if open_now:

        def is_open(pid: int) -> bool:
            expr = state.hours_of.get(pid) or ""
            return bool(expr) and hours_status(expr, at).open_now is True

        checks.append(is_open)  # the costliest check goes last
    accept = (lambda pid: all(c(pid) for c in checks)) if checks else None
    hits = state.index.nearest(lat, lng, limit=limit, accept=accept, max_distance_m=max_distance_m)
    if not hits:
        return []
    by_id = {
        p.pk: p
        for p in Place.objects.filter(pk__in=[h[0] for h in hits], is_active=True)
        .select_related("street")
        .prefetch_related(Prefetch("services", queryset=Service.objects.only("id", "code")))
    }
    out = []
    for pid, _distance in hits:
        place = by_id.get(pid)
        if place is not None:  # deactivated since the index was built
            out.append(place_to_dict(place, at=at, origin=(lat, lng)))
    return out


def nearest_response(*, lat: float, lng: float, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"items": items, "origin": {"lat": lat, "lng": lng}, "walk_circle_minutes": WALK_CIRCLE_MINUTES}
