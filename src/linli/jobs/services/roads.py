"""`linli import roads FILE.geojson --street CODE`: the street's road network for walking and cycling times.

Every feature is a LineString (or MultiLineString) of WGS-84 positions (or of the declared `coordinate_system`);
properties `name` (optional), `foot` / `bicycle` ("no" keeps walkers or cyclists off it, as in OpenStreetMap).
The whole file is checked first; a re-import replaces the street's roads (all or nothing)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from linli.core.imports import (
    ErrorList,
    ImportResult,
    convert_position,
    feature_parts,
    raise_if_errors,
    read_collection,
)
from linli.core.models import Street
from linli.core.services import audit_log
from linli.jobs.models import Road

MAX_ROADS = 200_000


def _lines(geometry: dict[str, Any]) -> list[Any] | None:
    kind = geometry.get("type")
    coords = geometry.get("coordinates")
    if kind == "LineString" and isinstance(coords, list):
        return [coords]
    if kind == "MultiLineString" and isinstance(coords, list) and all(isinstance(c, list) for c in coords):
        return list(coords)
    return None


def roads_import(*, street: Street, collection: Any, actor: Any = None) -> ImportResult:
    errors = ErrorList()
    features, system = read_collection(collection, errors)
    if len(features) > MAX_ROADS:
        errors.add(None, "features", _("道路太多，请分区导入"))
    rows: list[Road] = []
    for i, feature in enumerate(features[:MAX_ROADS]):
        props, geometry = feature_parts(i, feature, errors)
        if props is None or geometry is None:
            continue
        lines = _lines(geometry)
        if lines is None:
            errors.add(i, "geometry.type", _("道路必须是 LineString 或 MultiLineString"))
            continue
        name = props.get("name") if isinstance(props.get("name"), str) else ""
        for line in lines:
            points = [convert_position(p, system) for p in line]
            if len(points) < 2 or any(p is None for p in points):
                errors.add(i, "geometry.coordinates", _("道路至少要有两个 [经度, 纬度] 坐标"))
                break
            rows.append(
                Road(
                    street=street,
                    name=(name or "")[:100],
                    coordinates=[[p[1], p[0]] for p in points if p],
                    walk=props.get("foot") != "no",
                    bike=props.get("bicycle") != "no",
                )  # fmt: skip
            )
    raise_if_errors(errors)
    with transaction.atomic():
        removed, _rest = Road.objects.filter(street=street).delete()
        Road.objects.bulk_create(rows, batch_size=2000)
        result = ImportResult(created=len(rows))
        audit_log(actor=actor, action="jobs.roads.import", street=street,
                  data={"roads": len(rows), "replaced": removed})  # fmt: skip
    return result
