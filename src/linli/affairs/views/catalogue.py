"""Residents' catalogue pages: search an affair by their own words, then what to bring and how."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from linli.affairs import selectors
from linli.affairs.models import Channel, Item
from linli.affairs.views.common import street_or_404

EXAMPLES = ("补办社保卡", "长护险", "老年综合津贴", "身份证丢了", "居住证")


@require_GET
@vary_on_headers("HX-Request")
def street_affairs(request: HttpRequest, code: str) -> HttpResponse:
    """The street's affairs: type what you need ("补办社保卡"), see the matching items; htmx swaps the results."""
    street = street_or_404(code)
    q = (request.GET.get("q") or "").strip()[:100]
    channel = str(request.GET.get("channel") or "")
    channel = channel if channel in Channel.values else ""
    items = selectors.items_search(street=street, q=q, channel=channel, limit=200 if not q else 30)
    ctx = {"street": street, "items": items, "q": q, "channel": channel, "channels": Channel.choices}
    ctx["examples"] = EXAMPLES
    if request.headers.get("HX-Request"):
        return render(request, "affairs/_search_results.html", ctx)
    return render(request, "affairs/list.html", ctx)


@require_GET
def item_detail(request: HttpRequest, item_id: int) -> HttpResponse:
    """One affair: who may apply, what to bring (each material, originals or copies), how and where it is
    handled, how long it takes and what it costs; pre-review and book buttons."""
    item = (
        selectors.items_with_materials(Item.objects.filter(is_active=True, pk=item_id)).select_related("street").first()
    )
    if item is None:
        raise Http404(str(item_id))
    materials = [m for m in item.materials.all() if m.position < 1000]
    channels = [(c, label) for c, label in Channel.choices if c in (item.channels or [])]
    return render(
        request,
        "affairs/item_detail.html",
        {"item": item, "street": item.street, "materials": materials, "channels": channels},
    )
