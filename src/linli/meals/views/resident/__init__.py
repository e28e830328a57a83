"""Meals pages for residents: choose a meal point, the menu of a place for a day with a basket and the bill,
order (to the meal point, to the venue of an activity booked that day, or home when eligible), "where is my
lunch" (my orders with their status steps and pickup codes, cancel before the cut-off) and the meal wallet.

Thin views: they parse the form, read through small queries and call the meals services (`pricing.bill_compute`,
`orders.order_create`, `orders.order_cancel`). The menu page is one form that works without JavaScript (the
quantities are posted; "加入" posts too and the server adds the dish); `static/meals/basket.js` enhances it:
the basket lives in sessionStorage and the bill is refreshed from the server without reloading the page.
Every `Problem` a service raises is shown on the page in plain words with its HTTP status, never a 500.

The package: `common` (helpers), `menu` (meal points, the menu, the basket and the order), `orders` (my orders,
cancel, collect) and `lunch_offer` (the lunch offer fragment on activities' booking pages); `urlpatterns` here.
"""

from __future__ import annotations

from django.urls import URLPattern, path

from linli.meals.views.resident.lunch_offer import activity_lunch_offer, booking_lunch_offer, lunch_offer_fragment
from linli.meals.views.resident.menu import meals_home, place_menu
from linli.meals.views.resident.orders import my_order, my_order_cancel, my_order_collect, my_orders
from linli.meals.views.resident.panels import booking_cancel_lunch_fragment, elder_tier_fragment

__all__ = [
    "activity_lunch_offer",
    "booking_cancel_lunch_fragment",
    "booking_lunch_offer",
    "elder_tier_fragment",
    "lunch_offer_fragment",
    "meals_home",
    "my_order",
    "my_order_cancel",
    "my_order_collect",
    "my_orders",
    "place_menu",
    "urlpatterns",
]

urlpatterns: list[URLPattern] = [
    path("meals/", meals_home, name="resident_home"),
    path("meals/p/<int:place_id>/", place_menu, name="resident_menu"),
    path("me/meals/", my_orders, name="resident_orders"),
    path("me/meals/orders/<int:order_id>/", my_order, name="resident_order"),
    path("me/meals/orders/<int:order_id>/cancel/", my_order_cancel, name="resident_order_cancel"),
    path("me/meals/orders/<int:order_id>/collect/", my_order_collect, name="resident_order_collect"),
    path("meals/lunch-offer/<int:booking_id>/", lunch_offer_fragment, name="lunch_offer_fragment"),
    path("meals/me/elder-tier/", elder_tier_fragment, name="elder_tier_fragment"),
    path(
        "meals/booking-cancel/<int:booking_id>/",
        booking_cancel_lunch_fragment,
        name="booking_cancel_lunch_fragment",
    ),
]
