"""The answer's shape (Action, Card, EngineAnswer) and the card builders for places, activities, dishes, contacts.

Every card is built from a row just read from the database, so its id, title, time and price are the data's own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from linli.core.geo import navigation_links


@dataclass(frozen=True)
class Action:
    type: str  # "book" | "navigate" | "order" | "call" | "open"
    label: str
    url: str


@dataclass(frozen=True)
class Card:
    type: str  # "place" | "activity" | "menu_item" | "contact" | "page"
    id: int | str
    title: str
    subtitle: str
    url: str
    actions: tuple[Action, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["actions"] = [asdict(a) for a in self.actions]
        return data


@dataclass(frozen=True)
class EngineAnswer:
    intent: str
    text: str
    cards: tuple[Card, ...] = ()
    confidence: float = 0.0
    facts: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "intent": self.intent,
            "text": self.text,
            "cards": [c.as_dict() for c in self.cards],
            "confidence": self.confidence,
            "facts": self.facts,
        }


def yuan(fen: int) -> str:
    """1250 → '12.5', 1200 → '12' (prices are integer fen in the data)."""
    whole, rest = divmod(int(fen), 100)
    return f"{whole}" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0")


def tel(phone: str) -> str:
    return "tel:" + "".join(c for c in phone if c.isdigit() or c == "+")


def navigate_action(lat: float, lng: float, name: str) -> Action:
    return Action("navigate", pgettext("assistant", "导航"), navigation_links(lat, lng, name)["amap_walk"])


def call_action(phone: str) -> Action:
    return Action("call", _("打电话"), tel(phone))


def hhmm(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%H:%M")


def place_card(place: Any, *, subtitle: str = "", with_order: bool = False) -> Card:
    """`place`: a Place or the places API dict (`place_to_dict` / `places_nearest` rows)."""
    if isinstance(place, dict):
        pid, name, phone = place["id"], place["name"], place.get("phone") or ""
        lat, lng, address = place["location"]["lat"], place["location"]["lng"], place.get("address") or ""
    else:
        pid, name, phone, lat, lng, address = place.pk, place.name, place.phone, place.lat, place.lng, place.address
    actions = [navigate_action(lat, lng, name)]
    if with_order:
        actions.append(Action("order", _("点餐"), reverse("meals:resident_menu", args=[pid])))
    if phone:
        actions.append(call_action(phone))
    return Card("place", pid, name, subtitle or address, reverse("places:detail", args=[pid]), tuple(actions))


def activity_card(activity: Any) -> Card:
    place = activity.place
    start = timezone.localtime(activity.start)
    if (translation.get_language() or "").startswith("en"):
        subtitle = f"{start:%d %b} {start:%H:%M}-{hhmm(activity.end)} · {place.name}"
    else:
        subtitle = f"{start.month}月{start.day}日 {start:%H:%M}-{hhmm(activity.end)} · {place.name}"
    left = None if activity.capacity is None else max(0, activity.capacity - activity.booked)
    if left is not None:
        subtitle += " · " + (_("余%(n)d个名额") % {"n": left} if left else _("已约满，可候补"))
    url = reverse("activities:detail", args=[activity.pk])
    actions = (
        Action("book", pgettext("assistant", "预约"), url),
        navigate_action(place.lat, place.lng, place.name),
    )
    return Card("activity", activity.pk, activity.title, subtitle, url, actions)


def menu_item_card(item: Any, menu: Any, place: Any) -> Card:
    price = _("%(yuan)s元") % {"yuan": yuan(item.price_fen)}
    if item.half_price_fen:
        price += " · " + _("半份%(yuan)s元") % {"yuan": yuan(item.half_price_fen)}
    url = reverse("meals:resident_menu", args=[place.pk]) + f"?date={menu.date.isoformat()}&slot={menu.slot}"
    return Card(
        "menu_item",
        item.pk,
        item.dish.name,
        f"{price} · {menu.kitchen.place.name}",
        url,
        (Action("order", _("点餐"), url),),
    )


def contact_card(key: str, title: str, phone: str, subtitle: str = "") -> Card:
    """A phone number from the data: `key` is 'street-<id>' or 'committee-<id>' (or a place's card instead)."""
    return Card("contact", key, title, subtitle or phone, tel(phone), (call_action(phone),))


def link_card(key: str, title: str, url: str) -> Card:
    """One of the site's pages, to open with a tap (how-to answers name the page; they never print its path)."""
    return Card("page", key, title, "", url, (Action("open", pgettext("assistant", "打开"), url),))
