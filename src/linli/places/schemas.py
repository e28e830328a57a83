"""API schemas for service points and the service catalogue."""

from __future__ import annotations

from typing import Literal

from ninja import Field, Schema


class LocationSchema(Schema):
    lat: float = Field(..., ge=-90, le=90)
    lng: float = Field(..., ge=-180, le=180)


class NavigationSchema(Schema):
    amap: str
    amap_walk: str
    baidu: str
    geo: str


class PlaceOut(Schema):
    id: int
    external_id: str
    name: str
    kind: str
    kind_name: str
    kind_name_en: str
    street: str
    address: str
    location: LocationSchema
    phone: str
    services: list[str]
    amenities: list[str]
    opening_hours: str
    open_now: bool | None
    hours_state: str
    next_open: str | None
    next_close: str | None
    capacity: int | None
    description: str
    navigation: NavigationSchema


class NearbyPlaceOut(PlaceOut):
    distance_m: int
    walk_minutes: int
    in_walk_circle: bool


class PlacePage(Schema):
    items: list[PlaceOut]
    count: int
    page: int
    page_size: int


class NearestOut(Schema):
    items: list[NearbyPlaceOut]
    origin: LocationSchema
    walk_circle_minutes: int


class ServiceOut(Schema):
    code: str
    name: str
    name_en: str
    category: str
    street: str | None


class ServiceIn(Schema):
    street: str
    code: str = Field(..., max_length=40)
    name_zh: str = Field(..., max_length=50)
    name_en: str = Field(..., max_length=80)
    category: str = Field(..., max_length=40)


CoordinateSystem = Literal["wgs84", "gcj02", "bd09"]


class PlaceIn(Schema):
    street: str
    external_id: str = Field(..., min_length=1, max_length=64)
    name: str = Field(..., min_length=1, max_length=120)
    kind: str
    address: str = Field(..., min_length=1, max_length=200)
    location: LocationSchema
    coordinate_system: CoordinateSystem = "wgs84"
    phone: str = Field("", max_length=40)
    services: list[str] = []
    amenities: list[str] = []
    opening_hours: str = Field("", max_length=255)
    capacity: int | None = Field(None, ge=0)
    description: str = ""


class PlacePatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=120)
    kind: str | None = None
    address: str | None = Field(None, min_length=1, max_length=200)
    location: LocationSchema | None = None
    coordinate_system: CoordinateSystem = "wgs84"
    phone: str | None = Field(None, max_length=40)
    services: list[str] | None = None
    amenities: list[str] | None = None
    opening_hours: str | None = Field(None, max_length=255)
    capacity: int | None = Field(None, ge=0)
    description: str | None = None
    is_active: bool | None = None


class ImportOut(Schema):
    created: int
    updated: int
    unchanged: int
