"""How-to answers (book, cancel, order, report a hazard) with links to the real pages, and the honest "unknown"."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from linli.activities.selectors import activity_list
from linli.assistant.engine.cards import Card, EngineAnswer, activity_card, contact_card, link_card, place_card
from linli.core.i18n import local_name
from linli.places.models import EATING_KINDS, Place
from linli.places.selectors import place_to_dict, places_nearest


def _links(ctx: Any, topic: str) -> list[dict[str, str]]:
    code = ctx.street.code
    pages = {
        "book": [
            (_("本街道活动日历"), reverse("activities:street_list", args=[code])),
            (_("我的预约"), reverse("activities:my_bookings")),
        ],
        "cancel": [(_("我的预约"), reverse("activities:my_bookings"))],
        "order": [(_("社区助餐"), reverse("meals:resident_home")), (_("我的订餐"), reverse("meals:resident_orders"))],
        "cancel_order": [(_("我的订餐"), reverse("meals:resident_orders"))],
        "report": [
            (_("随手拍上报"), reverse("cases:report", args=[code])),
            (_("我的上报"), reverse("cases:my_reports")),
        ],
    }
    return [{"label": label, "url": url} for label, url in pages[topic]]


def how_to(ctx: Any) -> EngineAnswer:
    p = ctx.parsed
    topic = p.topic or "book"
    links = _links(ctx, topic)
    texts = {
        "book": _(
            "预约活动：打开“%(page)s”，选好活动点“预约”，登录后即完成；名额满了可以候补。"
            "预约成功后在“我的预约”里能看到签到码。"
        ),
        "cancel": _(
            "取消预约：打开“%(page)s”，找到那场活动点“取消”。请在活动的取消截止时间之前操作，名额会让给候补的居民。"
        ),
        "order": _(
            "点餐：打开“%(page)s”，选助餐点、日期和餐次，选好菜下单，用钱包付款；"
            "请在截单时间前下单，到助餐点报取餐码取餐。"
        ),
        "cancel_order": _("取消订餐：打开“%(page)s”，在截单时间之前点“取消”，钱会退回钱包。"),
        "report": _(
            "发现消防通道堵塞、楼道堆物、飞线充电等隐患，请用“%(page)s”上报：拍照、说明位置，"
            "提交后会实时推送给网格员和平安专员处理，您可以在“我的上报”里看进度。紧急情况请直接拨打119或110。"
        ),
    }
    # The page by its name in the text, never a raw path: the link is a card to tap.
    text = texts[topic] % {"page": links[0]["label"]}
    cards: list[Card] = [link_card(f"page-{topic}-{i}", link["label"], link["url"]) for i, link in enumerate(links)]
    if topic in ("book", "cancel"):
        words = list(p.title_words) + [e.key for e in p.entities("activity")]
        if words:
            qs = activity_list(street=ctx.street).filter(end__gt=ctx.now)
            for w in words[:1]:
                qs = qs.filter(title__icontains=w)
            cards = [activity_card(a) for a in qs[:3]] + cards
        elif topic == "book":  # no activity named: the next ones, each with its one-tap "book"
            upcoming = activity_list(street=ctx.street).filter(start__gt=ctx.now)[:3]
            cards = [activity_card(a) for a in upcoming] + cards
    elif topic == "order":
        cards = _meal_places(ctx) + cards
    facts = {"topic": topic, "links": links, "url": links[0]["url"]}
    return EngineAnswer("how_to", text, tuple(cards), p.confidence, facts)


_THANKS = ("谢谢", "多谢", "感谢", "辛苦了", "thanks", "thank you")
_HELLO = ("你好", "您好", "在吗", "hello", "hi", "嗨")


def _meal_places(ctx: Any) -> list[Card]:
    """The named meal place, else the three nearest (to the resident, a named road or the centre), with "order"."""
    named = [e.key for e in ctx.parsed.entities("place")]
    if named:
        place = Place.objects.filter(pk=named[0], is_active=True).first()
        return [place_card(place_to_dict(place, at=ctx.now), with_order=True)] if place else []
    lat, lng, _name, _ent = ctx.origin()
    rows = places_nearest(lat=lat, lng=lng, street=ctx.street, limit=200, at=ctx.now)
    rows = [r for r in rows if r["kind"] in EATING_KINDS][:3]
    return [place_card(r, with_order=True) for r in rows]


def unknown(ctx: Any) -> EngineAnswer:
    hotline = ctx.street.hotline or ""
    question = ctx.parsed.question.strip().lower()
    if ctx.parsed.unknown_road:
        lead = _("我们的数据里没有“%(road)s”。") % {"road": ctx.parsed.unknown_road}
    elif any(w in question for w in _THANKS) and len(question) <= 8:
        lead = _("不客气！还有什么可以帮您？")
    elif any(w in question for w in _HELLO) and len(question) <= 6:
        lead = _("您好！可以问我活动、就近的服务点、开放时间、助餐菜单和电话。")
    else:
        lead = _("这个问题我还答不上来，已经记下来请工作人员补充。")
    text = lead + (
        _("您可以拨打%(street)s服务热线%(phone)s。") % {"street": local_name(ctx.street), "phone": hotline}
        if hotline
        else ""
    )
    cards = (
        (contact_card(f"street-{ctx.street.pk}", local_name(ctx.street), hotline, _("街道服务热线")),)
        if hotline
        else ()
    )
    return EngineAnswer("unknown", text, cards, 0.0, {"hotline": hotline})
