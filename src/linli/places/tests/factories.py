"""factory_boy factories for streets, services and service points, and the small service map (`build_map_data`:
one street, one place per need) that the map, activity and assistant tests share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import factory

from linli.core.geo import h3_cell
from linli.core.models import Street
from linli.core.tests.factories import RoleAssignmentFactory, StreetFactory, UserFactory
from linli.places import selectors
from linli.places.models import Place, PlaceKind, Service

__all__ = [
    "MapData",
    "PlaceFactory",
    "RoleFactory",
    "ServiceFactory",
    "StreetFactory",
    "UserFactory",
    "build_map_data",
]


class RoleFactory(RoleAssignmentFactory):
    role = "station_staff"


class ServiceFactory(factory.django.DjangoModelFactory):
    """A street's own service (the default catalogue is seeded by migration)."""

    class Meta:
        model = Service

    street = factory.SubFactory(StreetFactory)
    code = factory.Sequence(lambda n: f"extra_{n}")
    name_zh = factory.Sequence(lambda n: f"服务{n}")
    name_en = factory.Sequence(lambda n: f"Service {n}")
    category = "other"


class PlaceFactory(factory.django.DjangoModelFactory):
    """A service point written directly (tests of services use the services themselves)."""

    class Meta:
        model = Place
        skip_postgeneration_save = True

    street = factory.SubFactory(StreetFactory)
    external_id = factory.Sequence(lambda n: f"P{n:04d}")
    name = factory.Sequence(lambda n: f"服务点{n}")
    kind = PlaceKind.PARTY_SERVICE_STATION
    address = factory.Sequence(lambda n: f"上海市普陀区测试路{n}号")
    lat = 31.2520
    lng = 121.3900
    h3_cell = factory.LazyAttribute(lambda o: h3_cell(o.lat, o.lng))
    opening_hours = "Mo-Su 00:00-24:00"

    @factory.post_generation
    def services(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        if create and extracted:
            self.services.set(Service.objects.filter(code__in=extracted, street__isnull=True))


# ------------------------------------------------------------------------------------ the small service map


@dataclass
class MapData:
    street: Any
    places: dict[str, Any]  # short key -> Place

    def names(self, *keys: str) -> set[str]:
        return {self.places[k].name for k in keys}


# (key, name, kind, lat, lng, services, amenities, opening_hours)
MAP_PLACES: list[tuple[str, str, str, float, float, list[str], list[str], str]] = [
    ("meal", "测试助餐点", "meal_point", 31.2500, 121.3900, ["meal"], ["seats"], "Mo-Su 00:00-24:00"),
    ("canteen", "测试长者食堂", "elder_canteen", 31.2540, 121.3950, ["meal"], ["step_free"], "Mo-Su off"),
    ("affairs", "测试社区事务受理服务中心", "affairs_center", 31.2560, 121.3860, ["affairs"], [], "Mo-Su 00:00-24:00"),
    ("medical", "测试助医点", "medical_point", 31.2470, 121.3930, ["medical"], [], ""),
    (
        "rider",
        "测试骑手驿站",
        "rider_station",
        31.2600,
        121.4000,
        ["rider_rest", "drinking_water"],
        ["ebike_charging"],
        "Mo-Su 00:00-24:00",
    ),
]

SERVICE_NAMES = {
    "meal": ("助餐", "Meals", "care"),
    "affairs": ("事务受理", "Community affairs", "affairs"),
    "medical": ("助医", "Medical help", "care"),
    "rider_rest": ("骑手休息", "Rest for riders", "riders"),
    "drinking_water": ("饮水", "Drinking water", "riders"),
}


def build_map_data(code: str = "testjie") -> MapData:
    """One street with five places: two for meals (one always closed), affairs, medical (no hours), riders."""
    street, _ = Street.objects.get_or_create(
        code=code,
        defaults={
            "name": "测试街道",
            "name_en": "Test Subdistrict",
            "district": "普陀区",
            "hotline": "021-60000000",
            "center_lat": 31.2530,
            "center_lng": 121.3920,
        },
    )
    services = {}
    for scode, (zh, en, category) in SERVICE_NAMES.items():
        services[scode], _ = Service.objects.get_or_create(
            street=None, code=scode, defaults={"name_zh": zh, "name_en": en, "category": category}
        )
    places = {}
    for i, (key, name, kind, lat, lng, svc, amenities, hours) in enumerate(MAP_PLACES):
        place = Place.objects.create(
            street=street,
            external_id=f"T{i:03d}",
            name=name,
            kind=kind,
            address=f"上海市普陀区测试路{100 + i}号",
            lat=lat,
            lng=lng,
            h3_cell=h3_cell(lat, lng),
            phone="021-6000 1234" if key == "meal" else "",
            opening_hours=hours,
            amenities=amenities,
            capacity=40 if key == "meal" else None,
            description="午餐 11:00 开始供应。" if key == "meal" else "",
        )
        place.services.set([services[s] for s in svc])
        places[key] = place
    selectors.nearest_index_invalidate_local()
    return MapData(street=street, places=places)
