"""Helpers for the quality and street-report tests: staff with roles, photos, ratings, discounts, waste."""

from __future__ import annotations

import datetime as dt
import io

import factory
from django.utils import timezone
from PIL import Image

from linli.core.models import RoleAssignment
from linli.meals.models import OrderDiscount, Rating, WasteRecord
from linli.meals.tests.factories import KitchenFactory, OrderFactory, UserFactory

__all__ = ["RatingFactory", "WasteRecordFactory", "discounted_order", "jpeg_bytes", "staff_of"]


def staff_of(street, role: str, user=None):
    user = user or UserFactory()
    RoleAssignment.objects.create(user=user, street=street, role=role)
    return user


def jpeg_bytes(size=(64, 48), *, gps: bool = True) -> bytes:
    image = Image.new("RGB", size, (90, 140, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    if gps:
        g = exif.get_ifd(0x8825)
        g[1], g[2], g[3], g[4] = "N", (31.0, 15.0, 7.0), "E", (121.0, 23.0, 37.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


class RatingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rating

    order = factory.SubFactory(OrderFactory, status="collected")
    kitchen = factory.SelfAttribute("order.kitchen")
    taste = 4
    portion = 4
    price = 4


class WasteRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WasteRecord

    kitchen = factory.SubFactory(KitchenFactory)
    date = factory.LazyFunction(timezone.localdate)
    grams = 1000


def discounted_order(*, menu, list_fen: int, discounts: list[tuple[str, int]], status: str = "collected", **kw):
    """An order whose discount lines (label, fen) add up to its `discount_fen`, as the order service writes it."""
    discount = sum(amount for _label, amount in discounts)
    order = OrderFactory(
        menu=menu, list_fen=list_fen, discount_fen=discount, total_fen=list_fen - discount, status=status, **kw
    )
    for label, amount in discounts:
        OrderDiscount.objects.create(order=order, label=label, amount_fen=amount)
    return order


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)
