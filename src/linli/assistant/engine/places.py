"""Answers about places: the nearest one for a need, opening hours (holidays, adjusted working days), phones."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from linli.assistant.engine import dates
from linli.assistant.engine.cards import Card, EngineAnswer, contact_card, hhmm, place_card
from linli.assistant.engine.ctx import Ctx, join
from linli.assistant.engine.matching import core_of
from linli.core.geo import haversine_m, walk_minutes
from linli.core.holidays import calendar
from linli.core.i18n import local_name
from linli.core.models import Committee
from linli.places.hours import day_intervals, day_type, hours_status
from linli.places.models import EATING_KINDS, Place
from linli.places.selectors import place_to_dict, places_nearest

MAX_CARDS = 3
MAX_HOURS_DAYS = 10


def _status_text(ctx: Ctx, row: dict[str, Any]) -> str:
    if row.get("open_now") is True:
        if row.get("next_close"):
            return _("现在开着，%(t)s关门") % {"t": hhmm(dt.datetime.fromisoformat(row["next_close"]))}
        return _("现在开着")
    if row.get("open_now") is False:
        if row.get("next_open"):
            nxt = dt.datetime.fromisoformat(row["next_open"])
            when = hhmm(nxt) if nxt.date() == ctx.today else f"{ctx.day_label(nxt.date())} {hhmm(nxt)}"
            return _("现在没开，%(t)s开门") % {"t": when}
        return _("现在没开")
    return _("开放时间未登记")


def _distance_text(row: dict[str, Any]) -> str:
    if row["distance_m"] < 30:
        return _("就在这里")
    return _("约%(m)d米，步行%(w)d分钟") % {"m": row["distance_m"], "w": row["walk_minutes"]}


def _candidates(ctx: Ctx, lat: float, lng: float) -> list[dict[str, Any]]:
    return places_nearest(lat=lat, lng=lng, street=ctx.street, limit=200, at=ctx.now)


def nearest(ctx: Ctx) -> EngineAnswer:
    p = ctx.parsed
    places = p.entities("place")
    facts: dict[str, Any] = {}
    # "离我最近的就业服务站": a kind word that happens to name one place asks for the nearest of the kind.
    generic = [h for h in p.hits if h.entity.kind == "place" and not core_of(h.alias)]
    if generic and p.need is not None and p.has(("最近", "附近", "离我", "就近", "周边")):
        places = [e for e in places if e not in {h.entity for h in generic}]
    # "万里党群中心在哪": the named place itself, from wherever the resident is.
    if places and (p.need is None or _place_is_need(places[0].key, p.need)) and not p.entities("road"):
        place = Place.objects.get(pk=places[0].key)
        origin = (ctx.lat, ctx.lng) if ctx.lat is not None and ctx.lng is not None else None
        row = place_to_dict(place, at=ctx.now, origin=origin)
        bits = [row["address"], _status_text(ctx, row)]
        if origin:
            bits.insert(1, _distance_text(row))
        text = _("%(name)s在%(where)s。") % {"name": place.name, "where": ctx.pick("，", ", ").join(bits)}
        facts.update(place_id=place.pk, place=place.name)
        return EngineAnswer("nearest_place", text, (place_card(row, with_order=_is_meal(row)),), p.confidence, facts)
    if p.unknown_road and not p.entities("road") and not p.entities("compound"):
        roads = join(sorted(ctx.lex.roads), ctx.en)
        text = _("我们的数据里没有“%(road)s”，无法按它查找。本街道收录的道路有：%(roads)s。") % {
            "road": p.unknown_road,
            "roads": roads,
        }
        facts["unknown_road"] = p.unknown_road
        if ctx.lat is None:
            return EngineAnswer("nearest_place", text, (), 0.6, facts)
    else:
        text = ""
    if places:  # "离万里党群中心最近的助餐点": measure from the named place
        ent = places[0]
        lat, lng, origin_name, origin_ent = ent.lat, ent.lng, ent.name, ent
    else:
        lat, lng, origin_name, origin_ent = ctx.origin()
    need = p.need
    rows = _candidates(ctx, lat, lng)  # type: ignore[arg-type]
    if origin_ent is not None and origin_ent.kind == "road":
        rows = _by_road_distance(rows, origin_ent.extra.get("points") or ((lat, lng),))
    if origin_ent is not None and origin_ent.kind == "place":
        rows = [r for r in rows if r["id"] != origin_ent.key]
    if need is not None:
        rows = [r for r in rows if need.matches(r)]
    rows = rows[:MAX_CARDS]
    label = (need.label_en if ctx.en else need.label_zh) if need else _("服务点")
    facts.update(origin=origin_name, need=need.code if need else None)
    if not rows:
        text += _("街道里没有找到%(label)s。您可以拨打街道服务热线%(hotline)s问问。") % {
            "label": label,
            "hotline": ctx.hotline(),
        }
        return EngineAnswer("nearest_place", text, (), 0.5, facts)
    first = rows[0]
    text += _("离%(origin)s最近的%(label)s是%(name)s（%(address)s），%(distance)s，%(status)s。") % {
        "origin": origin_name,
        "label": label,
        "name": first["name"],
        "address": first["address"],
        "distance": _distance_text(first),
        "status": _status_text(ctx, first),
    }
    if origin_name == _("街道中心"):
        text += _("打开定位可以按您的位置查找。")
    if len(rows) > 1:
        text += _("另外还有：%(others)s。") % {"others": join([r["name"] for r in rows[1:]], ctx.en)}
    facts.update(place_id=first["id"], place=first["name"], distance_m=first["distance_m"])
    cards = tuple(place_card(r, subtitle=f"{r['address']} · {_distance_text(r)}", with_order=_is_meal(r)) for r in rows)
    return EngineAnswer("nearest_place", text, cards, p.confidence, facts)


def _by_road_distance(rows: list[dict[str, Any]], points: Any) -> list[dict[str, Any]]:
    """Distance to a road = to the nearest known point on it (its places' and compounds' coordinates)."""
    for r in rows:
        loc = r["location"]
        d = min(haversine_m(lat, lng, loc["lat"], loc["lng"]) for lat, lng in points)
        r["distance_m"], r["walk_minutes"] = round(d), walk_minutes(d)
    return sorted(rows, key=lambda r: (r["distance_m"], r["id"]))


def _is_meal(row: dict[str, Any]) -> bool:
    return row.get("kind") in EATING_KINDS or "meal" in (row.get("services") or [])


def _place_is_need(place_id: int, need: Any) -> bool:
    place = Place.objects.prefetch_related("services").get(pk=place_id)
    row = {"kind": place.kind, "services": [s.code for s in place.services.all()], "amenities": place.amenities}
    return bool(need.matches(row))


# ---------------------------------------------------------------------------------------------- hours


def _hours_places(ctx: Ctx) -> tuple[list[Place], float]:
    p = ctx.parsed
    ids = [e.key for e in p.entities("place")][:MAX_CARDS]
    if ids:
        found = {pl.pk: pl for pl in Place.objects.filter(pk__in=ids, is_active=True)}
        return [found[i] for i in ids if i in found], p.confidence
    if p.need is not None:
        lat, lng, _name, _ent = ctx.origin()
        rows = [r for r in _candidates(ctx, lat, lng) if p.need.matches(r)][:MAX_CARDS]
        by_id = {pl.pk: pl for pl in Place.objects.filter(pk__in=[r["id"] for r in rows])}
        return [by_id[r["id"]] for r in rows if r["id"] in by_id], p.confidence * 0.9
    # No place named ("国庆节开门吗"): the street's main service centres.
    main = Place.objects.filter(
        street=ctx.street, is_active=True, kind__in=("affairs_center", "party_service_center")
    ).order_by("kind", "name")[:2]
    return list(main), 0.5


def _day_text(ctx: Ctx, expr: str, day: dt.date, street_id: int | None) -> tuple[str, bool]:
    spans = day_intervals(expr, day, street_id)
    kind = day_type(day, street_id)
    note = ""
    if kind == "holiday":
        name = dates.holiday_label(day, street_id)
        note = _("（%(name)s假期）") % {"name": name} if name else _("（法定节假日）")
    elif kind == "adjusted_workday":
        note = _("（调休上班日）")
    if not spans:
        return _("%(day)s%(note)s不开放") % {"day": ctx.day_label(day), "note": note}, False
    times = join([f"{hhmm(s)}-{'24:00' if e.hour == 0 and e.date() > s.date() else hhmm(e)}" for s, e in spans], ctx.en)
    return _("%(day)s%(note)s开放 %(times)s") % {"day": ctx.day_label(day), "note": note, "times": times}, True


def opening_hours(ctx: Ctx) -> EngineAnswer:
    p = ctx.parsed
    targets, confidence = _hours_places(ctx)
    facts: dict[str, Any] = {}
    if not targets:
        text = _("没有找到您说的地方。您可以拨打街道服务热线%(hotline)s问问。") % {"hotline": ctx.hotline()}
        return EngineAnswer("opening_hours", text, (), 0.3, facts)
    when = p.when
    lines: list[str] = []
    cards: list[Card] = []
    days = []
    if when is not None:
        facts.update(when.as_facts())
        days = [when.start + dt.timedelta(days=i) for i in range(min((when.end - when.start).days + 1, MAX_HOURS_DAYS))]
    if when is not None and when.holiday and when.unpublished:
        lines.append(_("该年的放假安排还没有公布，以下按法定假日当天计算。"))
    else:
        unofficial = sorted({d.year for d in (days or [ctx.today]) if not calendar.has_official_data(d.year)})
        if unofficial:
            facts["no_official_holiday_data"] = unofficial
            lines.append(
                _("%(years)s年的法定节假日和调休安排还没有导入（没有官方数据），以下只按周末计算。")
                % {"years": "、".join(str(y) for y in unofficial)}
            )
    for place in targets:
        expr = (place.opening_hours or "").strip()
        if not expr:
            line = _("%(name)s的开放时间没有登记，请打电话%(phone)s问一下。") % {
                "name": place.name,
                "phone": place.phone or ctx.hotline(),
            }
            lines.append(line)
            cards.append(place_card(place))
            continue
        if when is None:
            status = hours_status(expr, ctx.now, place.street_id)
            row = {
                "open_now": status.open_now,
                "next_open": status.next_open.isoformat() if status.next_open else None,
                "next_close": status.next_close.isoformat() if status.next_close else None,
            }
            today_text, _open = _day_text(ctx, expr, ctx.today, place.street_id)
            lines.append(ctx.labelled(place.name, ctx.items([_status_text(ctx, row), today_text])) + ctx.stop())
            facts.setdefault("open_now", status.open_now)
        else:
            parts = []
            any_open = False
            for day in days:
                t, is_open = _day_text(ctx, expr, day, place.street_id)
                any_open = any_open or is_open
                parts.append(t)
            lines.append(ctx.labelled(place.name, ctx.items(parts)) + ctx.stop())
            facts.setdefault("open", any_open)
        facts.setdefault("place_id", place.pk)
        # The card says today's hours in words ("今天开放 08:00-17:00"), never the opening_hours syntax.
        cards.append(place_card(place, subtitle=_day_text(ctx, expr, ctx.today, place.street_id)[0]))
    return EngineAnswer("opening_hours", "".join(lines), tuple(cards), confidence, facts)


# --------------------------------------------------------------------------------------------- contact


def contact(ctx: Ctx) -> EngineAnswer:
    p = ctx.parsed
    facts: dict[str, Any] = {}
    committees = p.entities("committee")
    if committees:
        com = Committee.objects.get(pk=committees[0].key)
        facts.update(phone=com.phone, committee_id=com.pk)
        text = _("%(name)s的电话是%(phone)s。") % {"name": com.name, "phone": com.phone}
        return EngineAnswer(
            "contact", text, (contact_card(f"committee-{com.pk}", com.name, com.phone, com.address),), 0.9, facts
        )
    places, confidence = _hours_places(ctx) if (p.entities("place") or p.need) else ([], 0.0)
    if places:
        lines = [
            _("%(name)s的电话是%(phone)s。") % {"name": pl.name, "phone": pl.phone}
            if pl.phone
            else _("%(name)s没有登记电话。") % {"name": pl.name}
            for pl in places
        ]
        facts.update(place_id=places[0].pk, phone=places[0].phone)
        return EngineAnswer("contact", "".join(lines), tuple(place_card(pl) for pl in places), confidence, facts)
    if p.has(("居委", "居民委员会")):
        coms = list(Committee.objects.filter(street=ctx.street).order_by("external_id"))
        if ctx.lat is not None or p.entities("compound"):
            lat, lng, _n, _e = ctx.origin()
            coms.sort(key=lambda c: _committee_distance(c, lat, lng))
            coms = coms[:1]
        lines = [ctx.labelled(c.name, c.phone) for c in coms if c.phone]
        text = _("居委会电话：%(lines)s。") % {"lines": join(lines, ctx.en)}
        cards = tuple(contact_card(f"committee-{c.pk}", c.name, c.phone, c.address) for c in coms if c.phone)
        facts["committee_id"] = coms[0].pk if coms else None
        return EngineAnswer("contact", text, cards, 0.8, facts)
    hotline = ctx.hotline()
    facts["phone"] = hotline
    text = _("%(street)s服务热线：%(phone)s。") % {"street": local_name(ctx.street), "phone": hotline}
    cards = (
        (contact_card(f"street-{ctx.street.pk}", local_name(ctx.street), hotline, _("街道服务热线")),)
        if hotline
        else ()
    )
    return EngineAnswer("contact", text, cards, 0.75, facts)


def _committee_distance(com: Committee, lat: float, lng: float) -> float:
    pts = [(c.lat, c.lng) for c in com.compounds.all()]
    return min((haversine_m(lat, lng, a, b) for a, b in pts), default=1e12)
