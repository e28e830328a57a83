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
from django.db import connection
from django.db.models import Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem
from linli.core.geo import WALK_CIRCLE_MINUTES, haversine_m, in_walk_circle, navigation_links, walk_minutes
from linli.core.i18n import choice_label_in
from linli.core.models import Street, User
from linli.core.phones import mask_personal_text
from linli.core.selectors import change_mark, street_get, user_street_ids
from linli.places.hooks import place_properties
from linli.places.hours import hours_status
from linli.places.index import PointIndex
from linli.places.models import Place, PlaceKind, Service

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
            detail=format_lazy(_("没有点位类型 {kind}，可用：{kinds}"), kind=kind, kinds=", ".join(PlaceKind.values)),
        )


def check_service(code: str, street: Street | None) -> None:
    qs = Service.objects.filter(code=code)
    if street is not None:
        qs = qs.filter(Q(street__isnull=True) | Q(street=street))
    if not qs.exists():
        raise Problem("unknown_service", detail=format_lazy(_("没有服务 {code}"), code=code))


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


def place_list_for_staff(*, user: User, roles: Any = None) -> QuerySet[Place]:
    """Every place (active or not) in the streets where `user` holds a role: the back-office listing."""
    return Place.objects.filter(street_id__in=user_street_ids(user, roles)).select_related("street")


def place_get(*, place_id: int) -> Place:
    place = (
        Place.objects.filter(pk=place_id, is_active=True).select_related("street").prefetch_related("services").first()
    )
    if place is None:
        raise Problem("not_found", detail=_("找不到该服务点位"))
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


# The columns the API shape needs; the nearest search reads them with one `values()` query.
_DICT_FIELDS = (
    "id", "external_id", "name", "kind", "street__code", "address", "lat", "lng", "phone",
    "opening_hours", "amenities", "capacity", "description", "street_id",
)  # fmt: skip


_KIND_LABELS: dict[str, Any] = dict(PlaceKind.choices)  # lazy translations, resolved per request


def place_to_dict(
    place: Place, *, at: dt.datetime | None = None, origin: tuple[float, float] | None = None
) -> dict[str, Any]:
    row = {f: getattr(place, f) for f in _DICT_FIELDS if f != "street__code"}
    row["street__code"] = place.street.code
    return _row_to_dict(row, sorted(s.code for s in place.services.all()), at=at or timezone.now(), origin=origin)


def _row_to_dict(
    row: dict[str, Any], services: list[str], *, at: dt.datetime, origin: tuple[float, float] | None
) -> dict[str, Any]:
    kind = row["kind"]
    expr = row["opening_hours"]
    status = hours_status(expr, at, row["street_id"]) if expr else None
    data: dict[str, Any] = {
        "id": row["id"],
        "external_id": row["external_id"],
        "name": row["name"],
        "kind": kind,
        "kind_name": str(_KIND_LABELS.get(kind, kind)),
        "kind_name_en": choice_label_in(PlaceKind, kind, "en"),
        "street": row["street__code"],
        "address": row["address"],
        "location": {"lat": row["lat"], "lng": row["lng"]},
        "phone": row["phone"],
        "services": services,
        "amenities": list(row["amenities"] or []),
        "opening_hours": expr,
        "open_now": status.open_now if status else None,
        "hours_state": status.state if status else "unknown",
        "next_open": status.next_open.isoformat() if status and status.next_open else None,
        "next_close": status.next_close.isoformat() if status and status.next_close else None,
        "capacity": row["capacity"],
        "description": mask_personal_text(row["description"]),  # the public map: phone/ID numbers masked
        "navigation": navigation_links(row["lat"], row["lng"], row["name"]),
    }
    if origin is not None:
        d = haversine_m(origin[0], origin[1], row["lat"], row["lng"])
        data["distance_m"] = round(d)
        data["walk_minutes"] = walk_minutes(d)
        data["in_walk_circle"] = in_walk_circle(d)
    return data


def places_geojson(*, street: Street | str) -> dict[str, Any]:
    """The street's active places as a GeoJSON FeatureCollection (the import format plus `place_id`)."""
    st = _street(street)
    if st is None:
        raise Problem("unknown_street")
    collection = places_export(street=st)
    ids = dict(Place.objects.filter(street=st, is_active=True).values_list("external_id", "id"))
    for f in collection["features"]:
        f["id"] = ids.get(f["properties"]["id"])
    collection["street"] = st.code
    return collection


def places_export(*, street: Street) -> dict[str, Any]:
    """The street's active service points as the same GeoJSON the import reads (export → import: 0 changes)."""
    places = list(Place.objects.filter(street=street, is_active=True).prefetch_related("services").order_by("id"))
    extra_values = {prop.name: prop.export(street=street, places=places) for prop in place_properties()}
    features: list[dict[str, Any]] = []
    for p in places:
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [p.lng, p.lat]},
                "properties": {
                    "id": p.external_id,
                    "name": p.name,
                    "kind": p.kind,
                    "address": p.address,
                    "phone": p.phone,
                    "services": sorted(s.code for s in p.services.all()),
                    "amenities": list(p.amenities),
                    "opening_hours": p.opening_hours,
                    "capacity": p.capacity,
                    "description": p.description,
                },
            }
        )
        for name, values in extra_values.items():
            if p.pk in values:
                features[-1]["properties"][name] = values[p.pk]
    return {"type": "FeatureCollection", "features": features}


# ----------------------------------------------------------------------------------- nearest search


@dataclass(frozen=True)
class _Snapshot:
    """One consistent build of the index and the attributes its filters read (swapped in one assignment)."""

    index: Any
    services_of: dict[int, frozenset[str]] = field(default_factory=dict)
    hours_of: dict[int, str] = field(default_factory=dict)
    street_of: dict[int, int] = field(default_factory=dict)
    coords: dict[int, tuple[float, float]] = field(default_factory=dict)
    # Indexes over the places a frequent filter leaves (a service, a kind, a street), built on first use:
    # a sparse filter would otherwise make the full index widen its rings many times.
    sub_indexes: dict[tuple[Any, ...], Any] = field(default_factory=dict)
    # Filter sets: the ids of places in a street, of a kind, offering a service.
    ids_by_street: dict[int, frozenset[int]] = field(default_factory=dict)
    ids_by_kind: dict[str, frozenset[int]] = field(default_factory=dict)
    ids_by_service: dict[str, frozenset[int]] = field(default_factory=dict)


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
    rows = list(
        Place.objects.filter(is_active=True).values_list("id", "lat", "lng", "street_id", "kind", "opening_hours")
    )
    services: dict[int, set[str]] = {}
    through = Place.services.through.objects.filter(place__is_active=True).values_list("place_id", "service__code")
    for pid, code in through:
        services.setdefault(pid, set()).add(code)
    by_street: dict[int, set[int]] = {}
    by_kind: dict[str, set[int]] = {}
    by_service: dict[str, set[int]] = {}
    for pid, _lat, _lng, street_id, kind, _hours in rows:
        by_street.setdefault(street_id, set()).add(pid)
        by_kind.setdefault(kind, set()).add(pid)
    for pid, codes in services.items():
        for code in codes:
            by_service.setdefault(code, set()).add(pid)
    return _Snapshot(
        index=PointIndex([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]),
        hours_of={r[0]: r[5] for r in rows},
        street_of={r[0]: r[3] for r in rows},
        coords={r[0]: (r[1], r[2]) for r in rows},
        services_of={pid: frozenset(codes) for pid, codes in services.items()},
        ids_by_street={k: frozenset(v) for k, v in by_street.items()},
        ids_by_kind={k: frozenset(v) for k, v in by_kind.items()},
        ids_by_service={k: frozenset(v) for k, v in by_service.items()},
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


MAX_SUB_INDEXES = 256


def _sub_index(state: _Snapshot, key: tuple[Any, ...], allowed: frozenset[int]) -> Any:
    """The index over `allowed` (the places passing a street/kind/service filter), cached in the snapshot."""
    index = state.sub_indexes.get(key)
    if index is None:
        ids = sorted(allowed)
        index = PointIndex(ids, [state.coords[i][0] for i in ids], [state.coords[i][1] for i in ids])
        if len(state.sub_indexes) >= MAX_SUB_INDEXES:
            state.sub_indexes.clear()
        state.sub_indexes[key] = index  # a benign race: two threads may build the same index once each
    return index


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
    # The street/kind/service filters become one id set, so the index's accept test is a set lookup.
    sets: list[frozenset[int]] = []
    if st is not None:
        sets.append(state.ids_by_street.get(st.pk, frozenset()))
    if kind:
        sets.append(state.ids_by_kind.get(kind, frozenset()))
    if service:
        sets.append(state.ids_by_service.get(service, frozenset()))
    allowed: frozenset[int] | None = None
    if sets:
        sets.sort(key=len)
        allowed = sets[0].intersection(*sets[1:]) if len(sets) > 1 else sets[0]
    index = state.index
    accept: Callable[[int], bool] | None = None
    if allowed is not None:
        key = (st.pk if st else None, kind or None, service or None)
        index = _sub_index(state, key, allowed)
    if open_now:

        def accept(pid: int) -> bool:
            expr = state.hours_of.get(pid) or ""
            return bool(expr) and hours_status(expr, at, state.street_of.get(pid)).open_now is True

    hits = index.nearest(lat, lng, limit=limit, accept=accept, max_distance_m=max_distance_m)
    if not hits:
        return []
    # One query for the result rows; their services come from the same snapshot the filters read.
    rows = _rows_by_id([h[0] for h in hits])
    empty_services: frozenset[str] = frozenset()
    return [
        _row_to_dict(rows[pid], sorted(state.services_of.get(pid, empty_services)), at=at, origin=(lat, lng))
        for pid, _distance in hits
        if pid in rows  # skip places deactivated since the index was built
    ]


def _rows_by_id(ids: list[int]) -> dict[int, dict[str, Any]]:
    """The API columns of active places by id, in one plain SQL query.

    The hot path of the nearest search: building this query through the ORM cost more CPU than the whole
    index search (measured by bench/bench_nearest_selector.py), so the SQL is written once here.
    """
    qn = connection.ops.quote_name
    place, street = qn(Place._meta.db_table), qn(Street._meta.db_table)
    columns = ", ".join(f"p.{qn(f)}" for f in _DICT_FIELDS if f != "street__code")
    # Only quoted identifiers and %s placeholders are interpolated into the SQL.
    sql = (
        f"SELECT {columns}, s.{qn('code')} FROM {place} p JOIN {street} s ON s.{qn('id')} = p.{qn('street_id')} "  # noqa: S608
        f"WHERE p.{qn('is_active')} AND p.{qn('id')} IN ({', '.join(['%s'] * len(ids))})"
    )
    names = [f for f in _DICT_FIELDS if f != "street__code"] + ["street__code"]
    amenities = Place._meta.get_field("amenities")
    out: dict[int, dict[str, Any]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        for values in cursor.fetchall():
            row = dict(zip(names, values, strict=True))
            row["amenities"] = amenities.from_db_value(row["amenities"], None, connection)  # type: ignore[arg-type]
            out[row["id"]] = row
    return out


def nearest_response(*, lat: float, lng: float, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"items": items, "origin": {"lat": lat, "lng": lng}, "walk_circle_minutes": WALK_CIRCLE_MINUTES}


def place_change_mark(*, street: Street) -> tuple[Subquery, Subquery]:
    """Count and latest change of the street's place rows (the assistant's vocabulary cache key)."""
    return change_mark(Place.objects.filter(street=street), latest="updated_at")
