"""Places API: service catalogue, service points, nearest search, GeoJSON export, staff writes. Thin: parse,
check permission, call a selector or service."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router
from ninja.responses import Status

from linli.core.auth import request_user, require_user
from linli.core.errors import Problem
from linli.core.geo import to_wgs84
from linli.core.models import Role
from linli.core.schemas import problems
from linli.core.selectors import require_role, street_get
from linli.places import selectors, services
from linli.places.models import Place
from linli.places.schemas import (
    NearestOut,
    PlaceIn,
    PlaceOut,
    PlacePage,
    PlacePatch,
    ServiceIn,
    ServiceOut,
)

router = Router(tags=["places 服务点位"])

EDITOR_ROLES = (Role.ADMIN, Role.STATION_STAFF)


@router.get("/services", response=list[ServiceOut], summary="服务目录 Service catalogue")
@problems("unknown_street")
def list_services(request: HttpRequest, street: str | None = None) -> list[dict[str, Any]]:
    return [selectors.service_to_dict(s) for s in selectors.service_list(street=street or None)]


@router.post("/services", response={201: ServiceOut}, auth=require_user, summary="新增服务项目 Add a service")
@problems("unknown_street", "permission_denied")
def create_service(request: HttpRequest, payload: ServiceIn) -> Status:
    street = street_get(code=payload.street)
    require_role(request_user(request), street=street, roles=(Role.ADMIN,))
    service = services.service_create(
        street=street,
        code=payload.code,
        name_zh=payload.name_zh,
        name_en=payload.name_en,
        category=payload.category,
        actor=request_user(request),
    )
    return Status(201, selectors.service_to_dict(service))


@router.get("/places/nearest", response=NearestOut, summary="就近查找 Nearest service points")
@problems("unknown_street", "unknown_kind", "unknown_service", "bad_coordinates")
def nearest_places(
    request: HttpRequest,
    lat: float = Query(..., ge=-90, le=90),
    lng: float = Query(..., ge=-180, le=180),
    service: str | None = None,
    kind: str | None = None,
    open_now: bool | None = None,
    street: str | None = None,
    limit: int = Query(10, ge=1, le=50),
) -> dict[str, Any]:
    """Active points nearest to (lat, lng) (WGS-84), city-wide unless `street` is given, sorted by straight-line
    distance, each with `distance_m`, `walk_minutes` and `in_walk_circle` (the 15-minute walk). `open_now=true`
    keeps only points open at this moment (Chinese public holidays and adjusted working days included); false or
    absent does not filter. 就近查找：按直线距离排序，标注步行时间及是否在 15 分钟生活圈内。"""
    items = selectors.places_nearest(
        lat=lat,
        lng=lng,
        service=service or None,
        kind=kind or None,
        open_now=open_now,
        street=street or None,
        limit=limit,
        at=timezone.now(),
    )
    return selectors.nearest_response(lat=lat, lng=lng, items=items)


_FEATURE_COLLECTION = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {"type": "array", "items": {"type": "object"}},
    },
}


@router.get(
    "/places.geojson",
    summary="GeoJSON 导出 GeoJSON export",
    openapi_extra={
        "responses": {
            200: {
                "description": "RFC 7946 FeatureCollection (WGS-84), the `linli import places` format",
                "content": {"application/geo+json": {"schema": _FEATURE_COLLECTION}},
            }
        }
    },
)
@problems("unknown_street")
def places_geojson(request: HttpRequest, street: str) -> HttpResponse:
    """A street's service points as GeoJSON (media type `application/geo+json`, RFC 7946)."""
    body = selectors.places_geojson(street=street)
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), content_type="application/geo+json; charset=utf-8", status=200
    )


@router.get("/places", response=PlacePage, summary="服务点位列表 List service points")
@problems("unknown_street", "unknown_kind", "unknown_service")
def list_places(
    request: HttpRequest,
    street: str | None = None,
    kind: str | None = None,
    service: str | None = None,
    q: str | None = Query(None, max_length=100),
    page: int = Query(1, ge=1),
    page_size: int = Query(20, ge=1, le=100),
) -> dict[str, Any]:
    qs = selectors.place_list(street=street or None, kind=kind or None, service=service or None, q=q)
    count = qs.count()
    start = (page - 1) * page_size
    now = timezone.now()
    items = [selectors.place_to_dict(p, at=now) for p in qs[start : start + page_size]]
    return {"items": items, "count": count, "page": page, "page_size": page_size}


@router.get("/places/{int:place_id}", response=PlaceOut, summary="服务点位详情 A service point")
@problems("not_found")
def get_place(request: HttpRequest, place_id: int) -> dict[str, Any]:
    return selectors.place_to_dict(selectors.place_get(place_id=place_id), at=timezone.now())


@router.post("/places", response={201: PlaceOut}, auth=require_user, summary="新增服务点位 Create a service point")
@problems(
    "unknown_street", "permission_denied", "unknown_kind", "unknown_service", "bad_opening_hours", "bad_coordinates"
)
def create_place(request: HttpRequest, payload: PlaceIn) -> Status:
    street = street_get(code=payload.street)
    require_role(request_user(request), street=street, roles=EDITOR_ROLES)
    lat, lng = to_wgs84(payload.location.lat, payload.location.lng, payload.coordinate_system)
    place = services.place_create(
        street=street,
        external_id=payload.external_id,
        name=payload.name,
        kind=payload.kind,
        address=payload.address,
        lat=lat,
        lng=lng,
        phone=payload.phone,
        opening_hours=payload.opening_hours,
        services=payload.services,
        amenities=payload.amenities,
        capacity=payload.capacity,
        description=payload.description,
        actor=request_user(request),
    )
    return Status(201, selectors.place_to_dict(place, at=timezone.now()))


@router.patch("/places/{int:place_id}", response=PlaceOut, auth=require_user, summary="修改服务点位 Update a point")
@problems("not_found", "permission_denied", "unknown_kind", "unknown_service", "bad_opening_hours", "bad_coordinates")
def update_place(request: HttpRequest, place_id: int, payload: PlacePatch) -> dict[str, Any]:
    place = Place.objects.select_related("street").filter(pk=place_id).first()
    if place is None:
        raise Problem("not_found", detail=_("找不到该服务点位"))
    require_role(request_user(request), street=place.street, roles=EDITOR_ROLES)
    changes = payload.dict(exclude_unset=True)
    system = changes.pop("coordinate_system", "wgs84")
    location = changes.pop("location", None)
    if location is not None:
        changes["lat"], changes["lng"] = to_wgs84(location["lat"], location["lng"], system)
    for key in (
        "name",
        "kind",
        "address",
        "phone",
        "opening_hours",
        "description",
        "is_active",
        "services",
        "amenities",
    ):
        if key in changes and changes[key] is None:
            changes.pop(key)
    place = services.place_update(place=place, actor=request_user(request), **changes)
    place = Place.objects.select_related("street").prefetch_related("services").get(pk=place.pk)
    return selectors.place_to_dict(place, at=timezone.now())
