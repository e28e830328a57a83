"""Factories for kitchen and delivery tests: order lines (OrderFactory writes no lines) and a kitchen setup."""

from __future__ import annotations

import factory

from linli.meals.models import Order, OrderLine
from linli.meals.tests.factories import MenuItemFactory, OrderFactory

__all__ = ["OrderLineFactory", "order_with_lines"]


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    menu_item = factory.SubFactory(MenuItemFactory, menu=factory.SelfAttribute("..order.menu"))
    dish_name = factory.LazyAttribute(lambda o: o.menu_item.dish.name)
    quantity = 1
    half = False
    unit_price_fen = factory.LazyAttribute(
        lambda o: (o.menu_item.half_price_fen or o.menu_item.price_fen) if o.half else o.menu_item.price_fen
    )
    line_fen = factory.LazyAttribute(lambda o: o.unit_price_fen * o.quantity)


def order_with_lines(*, lines: list[tuple[object, int, bool]], **order_kwargs: object) -> Order:
    """An order with (menu_item, quantity, half) lines; list/total follow the lines."""
    order = OrderFactory(**order_kwargs)
    total = 0
    for item, quantity, half in lines:
        line = OrderLineFactory(order=order, menu_item=item, quantity=quantity, half=half)
        total += line.line_fen
    Order.objects.filter(pk=order.pk).update(list_fen=total, total_fen=total, discount_fen=0)
    order.list_fen = order.total_fen = total
    order.discount_fen = 0
    return order
