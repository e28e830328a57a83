"""Writes for service points and the service catalogue. Each function is one transaction; the nearest-search
index version bump and the live `place.changed` event are sent after commit."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.text import format_lazy, slugify
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem, field_error
from linli.core.geo import h3_cell, in_china
from linli.core.i18n import Text
from linli.core.imports import (
    ErrorList,
    ImportResult,
    check_duplicate_id,
    check_point,
    feature_parts,
    optional_text,
    raise_if_errors,
    read_collection,
    required_text,
)
from linli.core.models import AuditLog, Role, Street, User
from linli.core.selectors import require_role
from linli.places import selectors
from linli.places.hooks import place_properties
from linli.places.hours import check_opening_hours
from linli.places.import_values import normalize_place_props, unknown_properties
from linli.places.models import Amenity, Place, PlaceKind, Service

INDEX_VERSION_KEY = "linli:places:index_version"
PLACE_EDITOR_ROLES = (Role.ADMIN, Role.STATION_STAFF)
_UNSET: Any = object()


# ------------------------------------------------------------------------------------------ events


def _notify_changed(*, street: Street, ids: Sequence[int]) -> None:
    """After commit: bump the nearest-index version and tell connected browsers what changed."""
    ids = list(ids)
    code = street.code

    def send() -> None:
        places_index_bump()
        try:
            layer = get_channel_layer()
            if layer is not None:
                async_to_sync(layer.group_send)(f"places.{code}", {"type": "place.changed", "ids": ids})
        except Exception:  # a missing channel layer must not fail a committed write
            logging.getLogger("linli.places").exception("could not send place.changed for %s", code)

    transaction.on_commit(send)


def places_index_bump() -> None:
    """Mark the process-wide nearest-search index as stale (in every process sharing the cache)."""
    cache.set(INDEX_VERSION_KEY, time.time_ns(), timeout=None)

    selectors.nearest_index_invalidate_local()


def _audit(*, actor: User | None, street: Street, action: str, object_id: str = "", data: dict | None = None) -> None:
    AuditLog.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        street=street,
        action=action,
        object_type="place",
        object_id=object_id,
        data=data or {},
    )


def _check_editor(actor: User | None, street: Street) -> None:
    if actor is not None:
        require_role(actor, street=street, roles=PLACE_EDITOR_ROLES)


# -------------------------------------------------------------------------------------- validation


def service_catalogue_for_street(street: Street) -> dict[str, Service]:
    """Service code → Service known in `street`: the default catalogue, overridden by the street's own."""
    result: dict[str, Service] = {}
    for s in Service.objects.filter(Q(street__isnull=True) | Q(street=street)).order_by("street_id"):
        if s.code not in result or s.street_id is not None:
            result[s.code] = s
    return result


def validate_place_values(values: dict[str, Any], *, catalogue: dict[str, Service]) -> list[tuple[str, Text]]:
    """Check the fields present in `values`; return (field, message) for each problem. Pure, no writes."""
    problems: list[tuple[str, Text]] = []
    if "kind" in values and values["kind"] not in PlaceKind.values:
        problems.append(
            (
                "kind",
                format_lazy(
                    _("未知的点位类型 {kind}，可用：{kinds}"),
                    kind=repr(values["kind"]),
                    kinds=", ".join(PlaceKind.values),
                ),
            )
        )
    if "services" in values:
        svc = values["services"]
        if not isinstance(svc, list | tuple) or not all(isinstance(c, str) for c in svc):
            problems.append(("services", _("服务必须是服务代码列表")))
        else:
            for code in svc:
                if code not in catalogue:
                    problems.append(("services", format_lazy(_("未知的服务代码 {code}"), code=repr(code))))
    if "amenities" in values:
        am = values["amenities"]
        if not isinstance(am, list | tuple) or not all(isinstance(c, str) for c in am):
            problems.append(("amenities", _("设施必须是设施代码列表")))
        else:
            for code in am:
                if code not in Amenity.values:
                    problems.append(("amenities", format_lazy(_("未知的设施代码 {code}"), code=repr(code))))
    if values.get("opening_hours"):
        oh = values["opening_hours"]
        if not isinstance(oh, str):
            problems.append(("opening_hours", _("开放时间必须是文本")))
        else:
            err = check_opening_hours(oh)
            if err is not None:
                problems.append(("opening_hours", format_lazy(_("开放时间格式不正确：{error}"), error=err)))
    if "capacity" in values and values["capacity"] is not None:
        cap = values["capacity"]
        if not isinstance(cap, int) or isinstance(cap, bool) or cap < 0:
            problems.append(("capacity", _("容量必须是非负整数")))
    if "lat" in values or "lng" in values:
        lat, lng = values.get("lat"), values.get("lng")
        ok = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lat, lng))
        if not ok or not in_china(float(lat), float(lng)):  # type: ignore[arg-type]
            problems.append(("location", _("坐标不在中国境内")))
    for key, limit in (("name", 120), ("address", 200), ("phone", 40), ("external_id", 64)):
        if key in values:
            v = values[key]
            if not isinstance(v, str) or (key in ("name", "address", "external_id") and not v.strip()):
                problems.append((key, format_lazy(_("缺少必填字段 {key}"), key=key)))
            elif len(v) > limit:
                problems.append((key, format_lazy(_("{key} 超过 {limit} 个字符"), key=key, limit=limit)))
    return problems


def _raise_problems(problems: list[tuple[str, Text]]) -> None:
    if not problems:
        return
    first = problems[0][0]
    code = {
        "kind": "unknown_kind",
        "services": "unknown_service",
        "opening_hours": "bad_opening_hours",
        "location": "bad_coordinates",
    }.get(first, "validation_error")
    if len({p[0] for p in problems}) > 1:
        code = "validation_error"
    raise Problem(code, errors=[field_error(f, message) for f, message in problems])


# ------------------------------------------------------------------------------------------ places


def place_create(
    *,
    street: Street,
    external_id: str,
    name: str,
    kind: str,
    address: str,
    lat: float,
    lng: float,
    phone: str = "",
    opening_hours: str = "",
    services: Iterable[str] = (),
    amenities: Iterable[str] = (),
    capacity: int | None = None,
    description: str = "",
    actor: User | None = None,
) -> Place:
    """Create a service point in `street` (coordinates WGS-84)."""
    _check_editor(actor, street)
    values: dict[str, Any] = {
        "external_id": external_id,
        "name": name,
        "kind": kind,
        "address": address,
        "lat": lat,
        "lng": lng,
        "phone": phone or "",
        "opening_hours": (opening_hours or "").strip(),
        "services": list(services),
        "amenities": list(amenities),
        "capacity": capacity,
        "description": description or "",
    }
    catalogue = service_catalogue_for_street(street)
    _raise_problems(validate_place_values(values, catalogue=catalogue))
    duplicate = Problem(
        "validation_error",
        errors=[field_error("external_id", format_lazy(_("编号 {external_id} 已存在"), external_id=external_id))],
    )
    try:
        with transaction.atomic():
            if Place.objects.filter(street=street, external_id=external_id).exists():
                raise duplicate
            codes = values.pop("services")
            place = Place(street=street, **values)
            place.h3_cell = h3_cell(place.lat, place.lng)
            place.save()
            place.services.set([catalogue[c] for c in dict.fromkeys(codes)])
            _audit(actor=actor, street=street, action="place.create", object_id=str(place.pk))
            _notify_changed(street=street, ids=[place.pk])
    except IntegrityError:  # a concurrent create with the same external id won the race
        raise duplicate from None
    return place


def place_update(
    *,
    place: Place,
    actor: User | None = None,
    name: str = _UNSET,
    kind: str = _UNSET,
    address: str = _UNSET,
    lat: float = _UNSET,
    lng: float = _UNSET,
    phone: str = _UNSET,
    opening_hours: str = _UNSET,
    services: Iterable[str] = _UNSET,
    amenities: Iterable[str] = _UNSET,
    capacity: int | None = _UNSET,
    description: str = _UNSET,
    is_active: bool = _UNSET,
) -> Place:
    """Change the given fields of a service point; fields left out stay as they are."""
    _check_editor(actor, place.street)
    given: dict[str, Any] = {
        k: v
        for k, v in {
            "name": name,
            "kind": kind,
            "address": address,
            "phone": phone,
            "opening_hours": opening_hours,
            "services": services,
            "amenities": amenities,
            "capacity": capacity,
            "description": description,
            "is_active": is_active,
        }.items()
        if v is not _UNSET
    }
    if lat is not _UNSET or lng is not _UNSET:
        given["lat"] = place.lat if lat is _UNSET else lat
        given["lng"] = place.lng if lng is _UNSET else lng
    for key in ("services", "amenities"):
        if key in given and not isinstance(given[key], str):
            given[key] = list(given[key])
    if isinstance(given.get("opening_hours"), str):
        given["opening_hours"] = given["opening_hours"].strip()
    catalogue = service_catalogue_for_street(place.street)
    _raise_problems(validate_place_values(given, catalogue=catalogue))
    with transaction.atomic():
        codes = given.pop("services", None)
        for k, v in given.items():
            setattr(place, k, v)
        place.h3_cell = h3_cell(place.lat, place.lng)
        place.save()
        if codes is not None:
            place.services.set([catalogue[c] for c in dict.fromkeys(codes)])
        changed = sorted([*given, *(["services"] if codes is not None else [])])
        _audit(
            actor=actor, street=place.street, action="place.update", object_id=str(place.pk), data={"fields": changed}
        )
        _notify_changed(street=place.street, ids=[place.pk])
    return place


def place_deactivate(*, place: Place, actor: User | None = None) -> Place:
    """Hide a service point from the map and search (kept for history; re-import reactivates it)."""
    _check_editor(actor, place.street)
    with transaction.atomic():
        Place.objects.filter(pk=place.pk).update(is_active=False)
        place.is_active = False
        _audit(actor=actor, street=place.street, action="place.deactivate", object_id=str(place.pk))
        _notify_changed(street=place.street, ids=[place.pk])
    return place


# ---------------------------------------------------------------------------------------- services


def service_create(
    *, street: Street, code: str, name_zh: str, name_en: str, category: str, actor: User | None = None
) -> Service:
    """Add a service to one street's own catalogue (beside the default catalogue)."""
    if actor is not None:
        require_role(actor, street=street, roles=(Role.ADMIN,))

    errors = []
    if not code or slugify(code) != code or len(code) > 40:
        errors.append(field_error("code", _("代码只能包含小写字母、数字、下划线和连字符")))
    if not category or slugify(category) != category or len(category) > 40:
        errors.append(field_error("category", _("类别只能包含小写字母、数字、下划线和连字符")))
    if not (name_zh or "").strip() or len(name_zh) > 50:
        errors.append(field_error("name_zh", _("中文名称必填（不超过 50 字）")))
    if not (name_en or "").strip() or len(name_en) > 80:
        errors.append(field_error("name_en", _("英文名称必填（不超过 80 字符）")))
    if errors:
        raise Problem("validation_error", errors=errors)
    with transaction.atomic():
        if code in service_catalogue_for_street(street):
            raise Problem(
                "validation_error",
                errors=[field_error("code", format_lazy(_("服务代码 {code} 已存在"), code=code))],
            )
        service = Service.objects.create(
            street=street, code=code, name_zh=name_zh.strip(), name_en=name_en.strip(), category=category
        )
        AuditLog.objects.create(
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            street=street,
            action="service.create",
            object_type="service",
            object_id=str(service.pk),
        )
    return service


# ------------------------------------------------------------------------------------ import/export

_PLACE_FIELDS = (
    "name",
    "kind",
    "address",
    "lat",
    "lng",
    "phone",
    "opening_hours",
    "amenities",
    "capacity",
    "description",
)


def _validate_collection(street: Street, collection: Any, notes: list[str]) -> list[dict[str, Any]]:
    errors = ErrorList()
    features, system = read_collection(collection, errors)
    catalogue = service_catalogue_for_street(street)
    extras = place_properties()
    extra_names = {prop.name for prop in extras}
    seen: dict[str, int] = {}
    rows: list[tuple[int, dict[str, Any]]] = []
    ignored: set[str] = set()
    for i, feature in enumerate(features):
        props, geometry = feature_parts(i, feature, errors)
        if props is not None:
            props, props_notes = normalize_place_props(props, catalogue)
            notes.extend(f"feature {i}: {n}" for n in props_notes)
            ignored |= unknown_properties(props) - extra_names
        row: dict[str, Any] = {}
        if geometry is not None:
            if geometry.get("type") != "Point":
                errors.add(
                    i,
                    "geometry.type",
                    format_lazy(_("几何类型必须是 Point，而不是 {gtype}"), gtype=repr(geometry.get("type"))),
                )
            else:
                pos = check_point(i, geometry, system, errors)
                if pos is not None:
                    row["lat"], row["lng"] = pos
        if props is None:
            continue
        row["external_id"] = required_text(i, props, "id", errors, max_length=64)
        row["name"] = required_text(i, props, "name", errors, max_length=120)
        row["kind"] = required_text(i, props, "kind", errors, max_length=40)
        row["address"] = required_text(i, props, "address", errors, max_length=200)
        check_duplicate_id(i, row["external_id"], seen, errors)
        row["phone"] = optional_text(i, props, "phone", errors, max_length=40)
        row["opening_hours"] = optional_text(i, props, "opening_hours", errors, max_length=255)
        row["description"] = optional_text(i, props, "description", errors, max_length=5000)
        for key in ("services", "amenities"):
            value = props.get(key)
            row[key] = [] if value is None else value
        row["capacity"] = props.get("capacity")
        for name in extra_names:  # properties owned by higher domains (places.hooks), checked below
            if name in props:
                row[name] = props[name]
        checkable = {
            k: v
            for k, v in row.items()
            if k not in ("name", "address", "external_id", "lat", "lng", "phone") and k not in extra_names
        }
        if row["kind"] is None:
            checkable.pop("kind")
        for field, message in validate_place_values(checkable, catalogue=catalogue):
            errors.add(i, f"properties.{field}", message)
        rows.append((i, row))
    for prop in extras:
        prop.validate(street=street, rows=rows, errors=errors)
    raise_if_errors(errors)
    if ignored:
        notes.append(f"未读取的属性 properties not read: {', '.join(sorted(ignored))}")
    return [row for _, row in rows]


def places_import(*, street: Street, collection: Any, actor: User | None = None) -> ImportResult:
    """Import a GeoJSON FeatureCollection of service points into `street`; all or nothing.

    Re-importing updates by `id` (the external id); places not in the file are left as they are."""
    _check_editor(actor, street)
    result = ImportResult()
    rows = _validate_collection(street, collection, result.notes)
    catalogue = service_catalogue_for_street(street)
    changed_ids: list[int] = []
    extras = place_properties()
    extra_values: dict[str, dict[str, Any]] = {prop.name: {} for prop in extras}
    imported: list[str] = []
    with transaction.atomic():
        existing = {
            p.external_id: p
            for p in Place.objects.select_for_update().filter(street=street).prefetch_related("services")
        }
        for row in rows:
            codes = list(dict.fromkeys(row.pop("services")))
            ext_id = row.pop("external_id")
            imported.append(ext_id)
            for name, values in extra_values.items():
                if name in row:
                    values[ext_id] = row.pop(name)
            row["amenities"] = list(dict.fromkeys(row["amenities"]))
            place = existing.get(ext_id)
            if place is None:
                place = Place(street=street, external_id=ext_id, **row)
                place.h3_cell = h3_cell(place.lat, place.lng)
                place.save()
                place.services.set([catalogue[c] for c in codes])
                result.created += 1
                changed_ids.append(place.pk)
                existing[ext_id] = place
                continue
            same = (
                all(getattr(place, k) == row[k] for k in _PLACE_FIELDS)
                and place.is_active
                and sorted(s.code for s in place.services.all()) == sorted(codes)
            )
            if same:
                # only a higher domain's property may differ: the place row itself stays untouched
                if any(
                    ext_id in extra_values[prop.name]
                    and prop.differs(place=place, value=extra_values[prop.name][ext_id])
                    for prop in extras
                ):
                    result.updated += 1
                else:
                    result.unchanged += 1
                continue
            for k in _PLACE_FIELDS:
                setattr(place, k, row[k])
            place.is_active = True
            place.h3_cell = h3_cell(place.lat, place.lng)
            place.save()
            place.services.set([catalogue[c] for c in codes])
            result.updated += 1
            changed_ids.append(place.pk)
        for prop in extras:
            prop.write(street=street, places=existing, imported=imported, values=extra_values[prop.name])
        _audit(actor=actor, street=street, action="places.import", data={**result.as_dict(), "features": len(rows)})
        if changed_ids:
            _notify_changed(street=street, ids=changed_ids)
    return result
