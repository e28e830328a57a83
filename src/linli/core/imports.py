"""GeoJSON imports: validation helpers shared by every import, and the grid and compound imports.

Every import reads an RFC 7946 FeatureCollection, validates the WHOLE file first and collects every error with
its feature index (`{"feature": i, "field": ..., "message": ...}`, a lazy message); if there is any error it
raises `Problem("import_invalid", errors=...)` and writes nothing, else it writes everything in one transaction.
A foreign member `"coordinate_system": "gcj02"` or `"bd09"` declares converted input; coordinates are stored
in WGS-84.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from shapely.geometry import shape

from linli.core.errors import Problem, field_error
from linli.core.geo import in_china, to_wgs84
from linli.core.gis import grid_for_point
from linli.core.i18n import Text
from linli.core.inputs import InputError, checked, clean_text, is_label_field
from linli.core.lenient import code, norm
from linli.core.models import GRID_LEVEL_DEPTH, AuditLog, Committee, Compound, Grid, GridLevel, Street

COORDINATE_SYSTEMS = ("wgs84", "gcj02", "bd09")


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # What the import accepted but the platform does not model as such, said in the report (zh / en), e.g.
    # "CATEGORIES 'xyz' kept as a tag", "committee 'X' created".
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


class ErrorList(list):
    """Errors of one import, each tied to a feature index (None: the whole file)."""

    def add(self, feature: int | None, field: str, message: Text) -> None:
        entry: dict[str, Any] = field_error(field, message)
        if feature is not None:
            entry = {"feature": feature, **entry}
        self.append(entry)


def raise_if_errors(errors: list[dict[str, Any]]) -> None:
    if errors:
        raise Problem(
            "import_invalid",
            detail=format_lazy(_("共 {count} 处错误"), count=len(errors)),
            errors=list(errors),
        )


def read_collection(collection: Any, errors: ErrorList) -> tuple[list[Any], str]:
    """Check the top level of a FeatureCollection; return its features and declared coordinate system.

    Every value passes linli.core.inputs' rules first (text cleaned, names on one line; NUL bytes, lone
    surrogates, integers beyond ±2^63, NaN and nesting past 64 levels refused, each tied to its feature)."""
    refused: list[dict[str, Any]] = []
    collection = checked(collection, "", refused)
    for err in refused:
        match = re.match(r"features\.(\d+)\.?(.*)", err["field"])
        if match:
            errors.add(int(match[1]), match[2] or "feature", err["message"])
        else:
            errors.add(None, err["field"] or "file", err["message"])
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        errors.add(None, "type", _("文件不是 GeoJSON FeatureCollection"))
        return [], "wgs84"
    system = collection.get("coordinate_system", "wgs84")
    if not isinstance(system, str) or system.strip().lower().replace("-", "") not in COORDINATE_SYSTEMS:
        errors.add(
            None,
            "coordinate_system",
            format_lazy(_("不支持的坐标系 {system}，应为 wgs84、gcj02 或 bd09"), system=repr(system)),
        )
        system = "wgs84"
    features = collection.get("features")
    if not isinstance(features, list):
        errors.add(None, "features", _("缺少 features 数组"))
        return [], system
    return features, system.strip().lower().replace("-", "")


def feature_parts(i: int, feature: Any, errors: ErrorList) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The properties and geometry of feature i, or None for each part that is missing."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        errors.add(i, "type", _("不是 GeoJSON Feature"))
        return None, None
    props = feature.get("properties")
    if not isinstance(props, dict):
        errors.add(i, "properties", _("缺少 properties"))
        props = None
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict):
        errors.add(i, "geometry", _("缺少几何图形"))
        geometry = None
    return props, geometry


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def convert_position(pos: Any, system: str) -> tuple[float, float] | None:
    """A GeoJSON position [lng, lat] in `system` as WGS-84 (lat, lng); None if it is not two numbers."""
    if not isinstance(pos, list | tuple) or len(pos) < 2 or not (_is_number(pos[0]) and _is_number(pos[1])):
        return None  # RFC 7946: numbers (text such as "121.39" is refused, as the standard says)
    lng, lat = float(pos[0]), float(pos[1])
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None
    return to_wgs84(lat, lng, system)


def check_point(i: int, geometry: dict[str, Any], system: str, errors: ErrorList) -> tuple[float, float] | None:
    """Validate a Point geometry; return WGS-84 (lat, lng) or None after recording the error."""
    pos = convert_position(geometry.get("coordinates"), system)
    if pos is None:
        errors.add(
            i,
            "geometry.coordinates",
            _("坐标必须是 [经度, 纬度] 两个数字"),
        )
        return None
    if not in_china(*pos):
        errors.add(i, "geometry.coordinates", _("坐标不在中国境内"))
        return None
    return pos


def convert_polygon_geometry(i: int, geometry: dict[str, Any], system: str, errors: ErrorList) -> dict[str, Any] | None:
    """Validate a Polygon/MultiPolygon, convert every vertex to WGS-84; return the new GeoJSON geometry."""
    gtype = geometry.get("type")
    coords = geometry.get("coordinates")

    def ring(r: Any) -> list[list[float]] | None:
        if not isinstance(r, list) or len(r) < 4:
            return None
        out = []
        for pos in r:
            p = convert_position(pos, system)
            if p is None:
                return None
            out.append([p[1], p[0]])
        return out

    def polygon(p: Any) -> list[list[list[float]]] | None:
        if not isinstance(p, list) or not p:
            return None
        rings = [ring(r) for r in p]
        return None if any(r is None for r in rings) else rings  # type: ignore[return-value]

    if gtype == "Polygon":
        converted: Any = polygon(coords)
    elif gtype == "MultiPolygon":
        polys = [polygon(p) for p in coords] if isinstance(coords, list) and coords else [None]
        converted = None if any(p is None for p in polys) else polys
    else:
        return None  # the caller reports the wrong type
    if converted is None:
        errors.add(
            i,
            "geometry.coordinates",
            _("多边形坐标无效（每个环至少 4 个 [经度, 纬度] 数字点）"),
        )
        return None
    result = {"type": gtype, "coordinates": converted}
    try:
        geom = shape(result)
        valid = geom.is_valid and not geom.is_empty
    except Exception:  # shapely raises several types on malformed input
        valid = False
    if not valid:
        errors.add(i, "geometry", _("多边形无效（自相交或退化）"))
        return None
    minx, miny, maxx, maxy = geom.bounds
    if not (in_china(miny, minx) and in_china(maxy, maxx)):
        errors.add(i, "geometry.coordinates", _("坐标不在中国境内"))
        return None
    return result


def _clean(i: int, key: str, value: str, errors: ErrorList) -> str | None:
    """A property's text by linli.core.inputs' rules (a name on one line); None after recording a refusal."""
    try:
        return clean_text(value, label=is_label_field(key)).strip()
    except InputError as exc:
        errors.add(i, f"properties.{key}", exc.message)
        return None


def required_text(i: int, props: dict[str, Any], key: str, errors: ErrorList, *, max_length: int = 200) -> str | None:
    value = props.get(key)
    if isinstance(value, int) and not isinstance(value, bool) and key == "id":
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        errors.add(i, f"properties.{key}", format_lazy(_("缺少必填字段 {key}"), key=key))
        return None
    value = _clean(i, key, value, errors)
    if value is None:
        return None
    if len(value) > max_length:
        errors.add(
            i, f"properties.{key}", format_lazy(_("{key} 超过 {max_length} 个字符"), key=key, max_length=max_length)
        )
        return None
    return value


def optional_text(i: int, props: dict[str, Any], key: str, errors: ErrorList, *, max_length: int = 200) -> str:
    value = props.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.add(i, f"properties.{key}", format_lazy(_("{key} 必须是文本"), key=key))
        return ""
    value = _clean(i, key, value, errors) or ""
    if len(value) > max_length:
        errors.add(
            i, f"properties.{key}", format_lazy(_("{key} 超过 {max_length} 个字符"), key=key, max_length=max_length)
        )
        return ""
    return value.strip()


def check_duplicate_id(i: int, ext_id: str | None, seen: dict[str, int], errors: ErrorList) -> None:
    if ext_id is None:
        return
    if ext_id in seen:
        errors.add(
            i,
            "properties.id",
            format_lazy(_("编号 {ext_id} 与第 {feature} 个要素重复"), ext_id=ext_id, feature=seen[ext_id]),
        )
    else:
        seen[ext_id] = i


def bbox_of(geometry: dict[str, Any]) -> tuple[float, float, float, float]:
    """(min_lat, min_lng, max_lat, max_lng) of a GeoJSON geometry."""
    minx, miny, maxx, maxy = shape(geometry).bounds
    return miny, minx, maxy, maxx


# --------------------------------------------------------------------------------------------- grids


def _upsert(
    model: Any, existing: dict[str, Any], *, street: Street, external_id: str, values: dict[str, Any], result: Any
) -> None:
    """Create the row or update it by external id, counting created / updated / unchanged in `result`."""
    obj = existing.get(external_id)
    if obj is None:
        existing[external_id] = model.objects.create(street=street, external_id=external_id, **values)
        result.created += 1
    elif any(getattr(obj, k) != v for k, v in values.items()):
        for k, v in values.items():
            setattr(obj, k, v)
        obj.save()
        result.updated += 1
    else:
        result.unchanged += 1


def _audit_import(*, actor: Any, street: Street, kind: str, result: Any, features: int) -> None:
    AuditLog.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        street=street,
        action=f"{kind}s.import",
        object_type=kind,
        data={**result.as_dict(), "features": features},
    )


def grids_import(*, street: Street, collection: Any, actor: Any = None) -> ImportResult:
    """Import governance grids (HQ → workstation → unit). Re-importing updates by `id`."""
    errors = ErrorList()
    features, system = read_collection(collection, errors)
    seen: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    levels = [str(v) for v in GridLevel.values]
    level_words = {"总网格": "hq", "总部": "hq", "指挥部": "hq", "工作站": "workstation", "单元": "unit"}
    level_words |= {"网格单元": "unit", "station": "workstation", "headquarters": "hq"}
    for i, feature in enumerate(features):
        props, geometry = feature_parts(i, feature, errors)
        if props is None and geometry is None:
            continue
        row: dict[str, Any] = {"index": i}
        if props is not None:
            row["external_id"] = required_text(i, props, "id", errors, max_length=64)
            row["name"] = required_text(i, props, "name", errors, max_length=100)
            check_duplicate_id(i, row["external_id"], seen, errors)
            level = props.get("level")
            if isinstance(level, str):  # HQ, Workstation, 总网格, 工作站, 单元 ...
                level = level_words.get(norm(level), code(level))
                level = level_words.get(level, level)
            if level not in levels:
                errors.add(
                    i,
                    "properties.level",
                    format_lazy(_("网格层级 {level} 无效，应为 hq、workstation 或 unit"), level=repr(level)),
                )
                level = None
            row["level"] = level
            parent = props.get("parent")
            if isinstance(parent, int) and not isinstance(parent, bool):
                parent = str(parent)
            if parent is not None and (not isinstance(parent, str) or not parent.strip()):
                errors.add(i, "properties.parent", _("上级网格编号必须是文本"))
                parent = None
            row["parent"] = parent.strip() if isinstance(parent, str) and parent.strip() else None
        if geometry is not None:
            if geometry.get("type") not in ("Polygon", "MultiPolygon"):
                errors.add(
                    i,
                    "geometry.type",
                    format_lazy(
                        _("几何类型必须是 Polygon 或 MultiPolygon，而不是 {gtype}"), gtype=repr(geometry.get("type"))
                    ),
                )
            else:
                row["geometry"] = convert_polygon_geometry(i, geometry, system, errors)
        rows.append(row)

    # Parents: in the file or already in the database; the level must be exactly one deeper.
    db_levels = dict(Grid.objects.filter(street=street).values_list("external_id", "level"))
    file_levels = {r["external_id"]: r.get("level") for r in rows if r.get("external_id")}
    for r in rows:
        level, parent, i = r.get("level"), r.get("parent"), r["index"]
        if level is None or "parent" not in r:
            continue
        if level == GridLevel.HQ:
            if parent is not None:
                errors.add(i, "properties.parent", _("总网格不能有上级"))
            continue
        if parent is None:
            errors.add(i, "properties.parent", format_lazy(_("{level} 网格必须有上级"), level=level))
            continue
        parent_level = file_levels.get(parent, db_levels.get(parent))
        if parent_level is None:
            errors.add(
                i,
                "properties.parent",
                format_lazy(_("上级网格 {parent} 不存在（文件和数据库中都没有）"), parent=parent),
            )
        elif (
            parent_level is not None
            and GRID_LEVEL_DEPTH[GridLevel(parent_level)] + 1 != GRID_LEVEL_DEPTH[GridLevel(level)]
        ):
            errors.add(
                i,
                "properties.parent",
                format_lazy(
                    _("层级不匹配：{level} 的上级必须是 {wanted}，而不是 {parent_level}"),
                    level=level,
                    wanted="hq" if level == "workstation" else "workstation",
                    parent_level=parent_level,
                ),
            )
    raise_if_errors(errors)

    result = ImportResult()
    with transaction.atomic():
        existing = {g.external_id: g for g in Grid.objects.select_for_update().filter(street=street)}
        for r in sorted(rows, key=lambda r: GRID_LEVEL_DEPTH[GridLevel(r["level"])]):
            min_lat, min_lng, max_lat, max_lng = bbox_of(r["geometry"])
            parent_obj = existing[r["parent"]] if r["parent"] else None
            values = {
                "name": r["name"],
                "level": r["level"],
                "parent": parent_obj,
                "geometry": r["geometry"],
                "min_lat": min_lat,
                "min_lng": min_lng,
                "max_lat": max_lat,
                "max_lng": max_lng,
            }
            _upsert(Grid, existing, street=street, external_id=r["external_id"], values=values, result=result)
        _audit_import(actor=actor, street=street, kind="grid", result=result, features=len(rows))
    return result


def grids_export(*, street: Street) -> dict[str, Any]:
    features = []
    for g in Grid.objects.filter(street=street).select_related("parent").order_by("id"):
        features.append(
            {
                "type": "Feature",
                "geometry": g.geometry,
                "properties": {
                    "id": g.external_id,
                    "name": g.name,
                    "level": g.level,
                    "parent": g.parent.external_id if g.parent else None,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


# ----------------------------------------------------------------------------------------- compounds


def _committee_ref(i: int, props: dict[str, Any], errors: ErrorList) -> str | None:
    """A compound's `committee`: the residents' committee's id or name (text), or None."""
    value = props.get("committee")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or len(value.strip()) > 100:
        errors.add(
            i,
            "properties.committee",
            _("committee 应为居委编号或名称（不超过100字）"),
        )
        return None
    return value.strip()


def _committees_for(street: Street, refs: set[str], result: ImportResult) -> dict[str, Committee]:
    """Each reference → the street's committee with that id or name; a committee neither names is created
    (id and name = the reference) and said in the report."""
    by_id = {c.external_id: c for c in Committee.objects.filter(street=street)}
    by_name = {c.name: c for c in by_id.values()}
    out: dict[str, Committee] = {}
    for ref in sorted(refs):
        found = by_id.get(ref) or by_name.get(ref)
        if found is None:
            found = by_id[ref] = Committee.objects.create(street=street, external_id=ref[:64], name=ref)
            result.notes.append(f"新建居委 committee created: {ref}")
        out[ref] = found
    return out


def compounds_import(*, street: Street, collection: Any, actor: Any = None) -> ImportResult:
    """Import residential compounds (Point or Polygon); each is assigned the deepest grid holding it and, from its
    `committee` property (the committee's id or name), its residents' committee."""
    errors = ErrorList()
    features, system = read_collection(collection, errors)
    seen: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    for i, feature in enumerate(features):
        props, geometry = feature_parts(i, feature, errors)
        if props is None and geometry is None:
            continue
        row: dict[str, Any] = {"index": i}
        if props is not None:
            row["external_id"] = required_text(i, props, "id", errors, max_length=64)
            row["name"] = required_text(i, props, "name", errors, max_length=100)
            row["address"] = optional_text(i, props, "address", errors)
            row["committee"] = _committee_ref(i, props, errors)
            check_duplicate_id(i, row["external_id"], seen, errors)
        if geometry is not None:
            gtype = geometry.get("type")
            if gtype == "Point":
                pos = check_point(i, geometry, system, errors)
                if pos is not None:
                    row["geometry"] = {"type": "Point", "coordinates": [pos[1], pos[0]]}
                    row["lat"], row["lng"] = pos
            elif gtype == "Polygon":
                geo = convert_polygon_geometry(i, geometry, system, errors)
                if geo is not None:
                    rp = shape(geo).representative_point()
                    row["geometry"], row["lat"], row["lng"] = geo, rp.y, rp.x
            else:
                errors.add(
                    i,
                    "geometry.type",
                    format_lazy(_("几何类型必须是 Point 或 Polygon，而不是 {gtype}"), gtype=repr(gtype)),
                )
        rows.append(row)
    raise_if_errors(errors)

    result = ImportResult()
    with transaction.atomic():
        existing = {c.external_id: c for c in Compound.objects.select_for_update().filter(street=street)}
        committees = _committees_for(street, {r["committee"] for r in rows if r["committee"]}, result)
        for r in rows:
            values = {
                "name": r["name"],
                "address": r["address"],
                "geometry": r["geometry"],
                "lat": r["lat"],
                "lng": r["lng"],
                "grid": grid_for_point(street=street, lat=r["lat"], lng=r["lng"]),
            }
            if r["committee"]:  # a file without the property leaves the compound's committee as it is
                values["committee"] = committees[r["committee"]]
            _upsert(Compound, existing, street=street, external_id=r["external_id"], values=values, result=result)
        _audit_import(actor=actor, street=street, kind="compound", result=result, features=len(rows))
    return result


def compounds_export(*, street: Street) -> dict[str, Any]:
    features = [
        {
            "type": "Feature",
            "geometry": c.geometry,
            "properties": {
                "id": c.external_id,
                "name": c.name,
                "address": c.address,
                "committee": c.committee.external_id if c.committee else None,
            },
        }
        for c in Compound.objects.filter(street=street).select_related("committee").order_by("id")
    ]
    return {"type": "FeatureCollection", "features": features}
