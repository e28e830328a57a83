"""factory_boy factories for streets, services and service points."""

from __future__ import annotations

import factory

from linli.core.geo import h3_cell
from linli.core.tests.factories import RoleAssignmentFactory, StreetFactory, UserFactory
from linli.places.models import Place, PlaceKind, Service

__all__ = ["PlaceFactory", "RoleFactory", "ServiceFactory", "StreetFactory", "UserFactory"]


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
