"""factory_boy factories for core models, a test JPEG, and the last sign-in code sent to a phone."""

from __future__ import annotations

import io
import re

import factory
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from linli.core.models import Grid, Role, RoleAssignment, Street, User
from linli.core.sms import OutboxSmsBackend


class StreetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Street
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"street-{n}")
    name = factory.Sequence(lambda n: f"测试街道{n}")
    name_en = factory.Sequence(lambda n: f"Test Street {n}")
    district = "普陀区"
    center_lat = 31.2519
    center_lng = 121.3937


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("phone",)

    phone = factory.Sequence(lambda n: f"+86139{n:08d}")
    display_name = factory.Sequence(lambda n: f"居民{n}")
    password = factory.LazyFunction(lambda: make_password(None))  # unusable: sign-in is by SMS code


class GridFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Grid

    street = factory.SubFactory(StreetFactory)
    external_id = factory.Sequence(lambda n: f"g{n}")
    name = factory.Sequence(lambda n: f"网格{n}")
    level = "unit"
    geometry = {
        "type": "Polygon",
        "coordinates": [[[121.39, 31.25], [121.40, 31.25], [121.40, 31.26], [121.39, 31.26], [121.39, 31.25]]],
    }
    min_lat = 31.25
    min_lng = 121.39
    max_lat = 31.26
    max_lng = 121.40


class RoleAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleAssignment

    user = factory.SubFactory(UserFactory)
    street = factory.SubFactory(StreetFactory)
    role = Role.ADMIN


def jpeg(size: tuple[int, int] = (64, 48), name: str = "photo.jpg") -> SimpleUploadedFile:
    """A small real JPEG upload (photos of reports, riders, inspections)."""
    out = io.BytesIO()
    Image.new("RGB", size, (200, 60, 40)).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def last_code(phone: str) -> str:
    """The 6-digit code of the last SMS sent to `phone` (E.164) through the outbox backend."""
    for sms in reversed(OutboxSmsBackend.outbox):
        if sms.phone == phone:
            found = re.search(r"\d{6}", sms.message)
            assert found, f"the last SMS to {phone} has no code: {sms.message}"
            return found.group(0)
    raise AssertionError(f"no SMS sent to {phone}")
