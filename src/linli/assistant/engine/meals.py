"""Answers about meals: the menu of a canteen or meal point for a day and slot, prices, the street's elder discounts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from linli.assistant.engine.cards import Card, EngineAnswer, menu_item_card, place_card, yuan
from linli.assistant.engine.ctx import Ctx, join
from linli.assistant.engine.intents import FOOD
from linli.core.i18n import Text
from linli.meals.models import PricingTier
from linli.meals.selectors.menus import kitchens_serving, menus_for_place
from linli.places.models import EATING_KINDS, Place
from linli.places.selectors import places_nearest

MAX_CARDS = 6
# A meal's name inside a sentence ("lunch", not "Lunch", in English).
SLOT_NAMES: dict[str, Text] = {
    "breakfast": pgettext_lazy("meal in a sentence", "早餐"),
    "lunch": pgettext_lazy("meal in a sentence", "午餐"),
    "dinner": pgettext_lazy("meal in a sentence", "晚餐"),
}


def _target(ctx: Ctx) -> tuple[Place | None, bool]:
    """The named meal place, else the nearest place with a menu that day (for the slot asked about, if any; True:
    it was chosen for them)."""
    ids = [e.key for e in ctx.parsed.entities("place")]
    if ids:
        return Place.objects.filter(pk=ids[0]).first(), False
    lat, lng, _n, _e = ctx.origin()
    day = _day(ctx)
    fallback = None
    for row in places_nearest(lat=lat, lng=lng, street=ctx.street, limit=200, at=ctx.now):
        if row["kind"] in EATING_KINDS or "meal" in row["services"]:
            place = Place.objects.get(pk=row["id"])
            menus = menus_for_place(place=place, date=day)
            if menus and (ctx.parsed.slot is None or any(m.slot == ctx.parsed.slot for m in menus)):
                return place, True
            fallback = fallback or (place if menus else None)
    return fallback, True


def _day(ctx: Ctx) -> dt.date:
    return ctx.parsed.when.start if ctx.parsed.when is not None else ctx.today


def _tiers_text(ctx: Ctx) -> tuple[str, list[dict[str, Any]]]:
    tiers = list(PricingTier.objects.filter(street=ctx.street, is_active=True).order_by("kind", "min_age", "hardship"))
    if not tiers:
        return _("本街道没有登记长者优惠。"), []
    text = _("本街道的用餐优惠：%(tiers)s（年龄优惠取最高一档，困难补贴可叠加，需在助餐点登记）。") % {
        "tiers": join([t.name for t in tiers], ctx.en)
    }
    return text, [{"name": t.name, "kind": t.kind, "type": t.discount_type, "value": t.value} for t in tiers]


def meals(ctx: Ctx) -> EngineAnswer:
    p = ctx.parsed
    facts: dict[str, Any] = {}
    discount = p.has(("打折", "折扣", "优惠", "补贴", "几折", "老人价", "低保", "独居"))
    if discount or (p.has(("老人", "长者", "老年")) and p.has(("便宜", "价格", "多少钱"))):
        tiers_text, tiers = _tiers_text(ctx)
        facts["tiers"] = [t["name"] for t in tiers]
    else:
        tiers_text = ""
    place, chosen = _target(ctx)
    day = _day(ctx)
    facts["date"] = day.isoformat()
    if place is None:
        text = tiers_text or _("%(day)s没有查到可以点的菜单。") % {"day": ctx.day_label(day)}
        return EngineAnswer("meals", text, (), p.confidence * (1 if tiers_text else 0.6), facts)
    facts.update(place_id=place.pk, place=place.name)
    if not kitchens_serving(place).exists():
        text = _("%(name)s不供餐。") % {"name": place.name} + tiers_text
        return EngineAnswer("meals", text, (place_card(place),), p.confidence * 0.8, facts)
    # The place's own kitchen first (a canteen cooks its own), then the kitchens delivering to it.
    menus = sorted(menus_for_place(place=place, date=day), key=lambda m: m.kitchen.place_id != place.pk)
    slots = [m.slot for m in menus]
    slot = p.slot if p.slot in slots else ("lunch" if "lunch" in slots else (slots[0] if slots else None))
    if p.slot and p.slot not in slots:
        slot = None
    facts["slot"] = p.slot or slot
    chosen_menus = [m for m in menus if m.slot == slot]
    names = {slot: str(name) for slot, name in SLOT_NAMES.items()}  # in the answer's language
    where = place.name + (_("（离您最近）") if chosen else "")
    if not chosen_menus:
        text = _("%(where)s%(day)s%(slot)s没有发布菜单。") % {
            "where": where,
            "day": ctx.day_label(day),
            "slot": names.get(p.slot or "", ""),
        }
        if menus:
            text += _("当天有：%(slots)s。") % {"slots": join([names[s] for s in dict.fromkeys(slots)], ctx.en)}
        return EngineAnswer(
            "meals", text + tiers_text, (place_card(place, with_order=True),), p.confidence * 0.8, facts
        )
    items, seen = [], set()
    for m in chosen_menus:
        for i in m.items.all():
            if i.dish.name not in seen:  # the same dish from a second kitchen: list it once
                seen.add(i.dish.name)
                items.append((i, m))
    dish_names = [e.key for e in p.entities("dish")]
    food = None if dish_names else next((w for w in FOOD if w in p.rest), None)
    if food:
        facts["food"] = food
        with_food = [x for x in items if food in x[0].dish.name]
        if not with_food:
            text = _("%(where)s%(day)s%(slot)s没有%(dish)s。") % {
                "where": where, "day": ctx.day_label(day), "slot": names[slot], "dish": food,  # type: ignore[index]
            }  # fmt: skip
            return EngineAnswer("meals", text + tiers_text, (place_card(place, with_order=True),), p.confidence, facts)
        items = with_food
    cards: list[Card]
    if dish_names:
        wanted = [(i, m) for i, m in items if i.dish.name in dish_names]
        facts["dish"] = dish_names[0]
        if wanted:
            item, menu = wanted[0]
            facts.update(price_fen=item.price_fen, menu_item_id=item.pk)
            text = _("%(where)s%(day)s%(slot)s有%(dish)s，%(price)s元") % {
                "where": where,
                "day": ctx.day_label(day),
                "slot": names[slot],  # type: ignore[index]
                "dish": item.dish.name,
                "price": yuan(item.price_fen),
            }
            if item.half_price_fen:
                text += _("，半份%(price)s元") % {"price": yuan(item.half_price_fen)}
            if item.remaining is not None:
                text += _("，还剩%(n)d份") % {"n": item.remaining}
            text += ctx.stop()
            cards = [menu_item_card(i, m, place) for i, m in wanted[:MAX_CARDS]]
            return EngineAnswer("meals", text + tiers_text, tuple(cards), p.confidence, facts)
        text = _("%(where)s%(day)s%(slot)s没有%(dish)s。") % {
            "where": where,
            "day": ctx.day_label(day),
            "slot": names[slot],  # type: ignore[index]
            "dish": dish_names[0],
        }
    else:
        text = ""
    if p.has(("老人", "长者", "老年", "套餐")) and not dish_names:
        elder = [(i, m) for i, m in items if i.is_elder_discount_set]
        # A discount question about no place in particular: the tiers and the elder set meals, not the whole menu.
        items = elder if (discount and chosen and elder) else elder + [x for x in items if x not in elder]
    facts["menu_item_ids"] = [i.pk for i, _m in items[:MAX_CARDS]]
    listing = join(
        [i.dish.name + ctx.pick(f"{yuan(i.price_fen)}元", f" {yuan(i.price_fen)} yuan") for i, _m in items], ctx.en
    )
    text += _("%(where)s%(day)s%(slot)s的菜：%(items)s。") % {
        "where": where,
        "day": ctx.day_label(day),
        "slot": names[slot],  # type: ignore[index]
        "items": listing,
    }
    cutoff = chosen_menus[0].cutoff_at
    if cutoff > ctx.now:
        text += _("%(t)s前可以在线点餐。") % {"t": f"{cutoff.astimezone(ctx.now.tzinfo):%H:%M}"}
    cards = [menu_item_card(i, m, place) for i, m in items[:MAX_CARDS]]
    return EngineAnswer("meals", text + tiers_text, tuple(cards), p.confidence, facts)
