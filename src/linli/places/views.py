"""Resident pages of the service map: the street's map with its list, and a service point's detail page.

Thin views: they parse the query, call the places/core selectors and render. The map page's list is also
served alone to htmx requests (`HX-Request`), so filtering swaps the list without reloading the map.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from linli.core import selectors as core_selectors
from linli.core.errors import Problem
from linli.core.origins import origin_query, parse_origin
from linli.core.pages import SESSION_STREET
from linli.places import gazetteer, hooks, selectors
from linli.places.models import KIND_GROUP, Amenity
from linli.places.needs import NEEDS, need_get


def _marker_labels() -> dict[str, str]:
    """One-character marker labels per kind, in the request's language."""
    return {
        "party_service_center": pgettext("map marker", "党"),
        "party_service_station": pgettext("map marker", "党"),
        "citizen_station": pgettext("map marker", "驿"),
        "affairs_center": pgettext("map marker", "办"),
        "remote_service_point": pgettext("map marker", "办"),
        "meal_point": pgettext("map marker", "餐"),
        "community_canteen": pgettext("map marker", "餐"),
        "elder_canteen": pgettext("map marker", "餐"),
        "central_kitchen": pgettext("map marker", "厨"),
        "employment_station": pgettext("map marker", "业"),
        "rider_station": pgettext("map marker", "骑"),
        "medical_point": pgettext("map marker", "医"),
        "reading_room": pgettext("map marker", "书"),
        "culture_center": pgettext("map marker", "文"),
    }


def _decorate(place: dict[str, Any], origin_param: str) -> dict[str, Any]:
    place["group"] = KIND_GROUP.get(place.get("kind", ""), "other")
    url = reverse("places:detail", args=[place["id"]])
    place["url"] = f"{url}?from={origin_param}" if origin_param else url
    return place


def home(request: HttpRequest) -> HttpResponse:
    """The default street's map: `?street=CODE`, else the one remembered in the session, else the first."""
    code = request.GET.get("street") or request.session.get(SESSION_STREET)
    streets = core_selectors.street_list()
    street = streets.filter(code=code).first() if code else None
    if street is None:
        street = streets.first()
    if street is None:
        return render(request, "places/no_streets.html", status=200)
    query = request.GET.copy()
    query.pop("street", None)
    target = reverse("places:street_map", args=[street.code])
    return redirect(f"{target}?{query.urlencode()}" if query else target)


@require_GET
@vary_on_headers("HX-Request")
def street_map(request: HttpRequest, code: str) -> HttpResponse:
    try:
        street = core_selectors.street_get(code=code)
    except Problem as exc:
        raise Http404(code) from exc
    if request.session.get(SESSION_STREET) != street.code:
        request.session[SESSION_STREET] = street.code

    need = need_get(request.GET.get("need"))
    q = (request.GET.get("q") or "").strip()[:100]
    open_only = request.GET.get("open") == "1"
    origin = parse_origin(request.GET.get("from"))
    origin_label = ""
    typed = (request.GET.get("at") or "").strip()[:100]
    if origin is None and typed:  # "从哪里出发" typed: a place, compound, address or road of the street
        spot = gazetteer.spot_find(street, typed)
        if spot is not None:
            origin, origin_label = (spot["lat"], spot["lng"]), spot["label"]
    origin_param = origin_query(origin)
    now = timezone.now()

    every = [
        _decorate(selectors.place_to_dict(p, at=now, origin=origin), origin_param)
        for p in selectors.place_list(street=street.code)
    ]
    if q:
        matching_ids = set(selectors.place_list(street=street.code, q=q).values_list("id", flat=True))
        shown = [p for p in every if p["id"] in matching_ids]
    else:
        shown = list(every)
    if need is not None:
        shown = [p for p in shown if need.matches(p)]
    if open_only:
        shown = [p for p in shown if p.get("open_now") is True]
    if origin is not None:
        shown.sort(key=lambda p: (p.get("distance_m") is None, p.get("distance_m") or 0, p["name"]))

    without_origin = request.GET.copy()
    without_origin.pop("from", None)
    without_origin.pop("at", None)
    map_url = reverse("places:street_map", args=[street.code])
    context = {
        "street": street,
        "clear_origin_url": f"{map_url}?{without_origin.urlencode()}" if without_origin else map_url,
        "places": shown,
        "total": len(every),
        "needs": NEEDS,
        "need": need,
        "q": q,
        "open_only": open_only,
        "origin": origin,
        "origin_param": origin_param,
        "origin_label": origin_label,
        "now": now,
    }
    context["result_fragments"] = hooks.PLACE_RESULTS.urls(street=street, place_ids=[p["id"] for p in shown])
    if request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request"):
        return render(request, "places/_results.html", context)

    context["map_fragments"] = hooks.STREET_MAP.urls(street=street, origin=origin)
    context["overlay_fragments"] = hooks.MAP_OVERLAY.urls(street=street, origin=origin)
    context["map_places"] = [
        {
            "id": p["id"],
            "name": p["name"],
            "kind": p["kind"],
            "kind_name": p["kind_name"],
            "group": p["group"],
            "address": p["address"],
            "lat": p["location"]["lat"],
            "lng": p["location"]["lng"],
            "url": reverse("places:detail", args=[p["id"]]),
        }
        for p in every
    ]
    context["map_config"] = {
        "tileUrl": settings.LINLI_MAP_TILE_URL,
        "attribution": settings.LINLI_MAP_TILE_ATTRIBUTION,
        "center": [street.center_lat, street.center_lng] if street.center_lat is not None else None,
        "markerLabels": _marker_labels(),
        "streetUrl": reverse("places:street_map", args=[street.code]),
        "origin": list(origin) if origin else None,
        "i18n": {
            "you": _("您的位置"),
            "locating": _("正在获取您的位置…"),
            "finding": _("正在查找这个地点…"),
            "geoDenied": _("无法获取您的位置。请在“从哪里出发”框中输入地址或地点名称。"),
            "geoUnsupported": _("这个浏览器不能定位。请在“从哪里出发”框中输入地址或地点名称。"),
            "noMatch": _("没有找到这个地址或地点，请换个说法。"),
            "originSet": _("已按离“%(name)s”的距离排序。"),
            "nearSet": _("已按离您的距离排序。"),
            "details": _("查看详情"),
        },
    }
    return render(request, "places/map.html", context)


@require_GET
def place_detail(request: HttpRequest, place_id: int) -> HttpResponse:
    try:
        place_obj = selectors.place_get(place_id=place_id)
    except Problem as exc:
        raise Http404(str(place_id)) from exc
    origin = parse_origin(request.GET.get("from"))
    origin_param = origin_query(origin)
    now = timezone.now()
    place = _decorate(selectors.place_to_dict(place_obj, at=now, origin=origin), origin_param)
    services = {s.code: s for s in selectors.service_list(street=place_obj.street.code)}
    context = {
        "street": place_obj.street,
        "place": place,
        "services": [services[c] for c in place.get("services") or [] if c in services],
        "amenities": [
            {"code": code, "label": Amenity(code).label}
            for code in place.get("amenities") or []
            if code in Amenity.values
        ],
        "origin": origin,
        "now": now,
        "fragments": hooks.PLACE_DETAIL.urls(place=place_obj),
        "back_url": reverse("places:street_map", args=[place_obj.street.code])
        + (f"?from={origin_param}" if origin else ""),
        "map_config": {
            "tileUrl": settings.LINLI_MAP_TILE_URL,
            "attribution": settings.LINLI_MAP_TILE_ATTRIBUTION,
            "place": {
                "name": place["name"],
                "lat": place["location"]["lat"],
                "lng": place["location"]["lng"],
                "group": place["group"],
                "label": _marker_labels().get(place["kind"], "•"),
            },
            "origin": list(origin) if origin else None,
            "i18n": {"you": _("您的位置")},
        },
    }
    return render(request, "places/detail.html", context)
