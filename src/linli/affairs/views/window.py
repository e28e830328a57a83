"""The window queue's pages: the kiosk at the centre's door (check in by the appointment's QR, or take a walk-in
ticket), the ticket on the resident's phone, and the window clerk's page (call next, the materials checklist and
the pre-review's verdict, the outcome).

Thin views: parse, call `services.queue`, render. A refused action shows its problem (title, detail, stable code)
on the page with the problem's HTTP status, never a 500.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from linli.affairs import selectors_queue as q
from linli.affairs.models import Counter, Item, QueueTicket, TicketStatus
from linli.affairs.services import queue as queue_services
from linli.core import ratelimit
from linli.core.auth import request_user
from linli.core.errors import Problem
from linli.core.pages import login_redirect, problem_message
from linli.core.selectors import user_has_role

QR_SCALE = 5


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "403.html", status=403)


def _centre_for_staff(request: HttpRequest, place_id: int) -> tuple[Any, HttpResponse | None]:
    if not request.user.is_authenticated:
        return None, login_redirect(request)
    place = q.centre_get(place_id)
    if place is None:
        raise Http404
    if not user_has_role(request_user(request), street=place.street, roles=queue_services.CLERK_ROLES):
        return None, _forbidden(request)
    return place, None


def _qr_svg(text: str) -> str:
    import io

    import segno

    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", scale=QR_SCALE, border=2, xmldecl=False, svgns=True)
    return out.getvalue().decode("utf-8")


def ticket_url(request: HttpRequest, ticket: QueueTicket) -> str:
    return request.build_absolute_uri(reverse("affairs:ticket", args=[ticket.token]))


# ------------------------------------------------------------------------------------------------ kiosk


@require_http_methods(["GET", "POST"])
def kiosk(request: HttpRequest, place_id: int) -> HttpResponse:
    """取号机: scan the appointment's QR (or type its code) for an A number; or pick an affair for a W number."""
    place, denied = _centre_for_staff(request, place_id)
    if denied is not None:
        return denied
    ctx: dict[str, Any] = {
        "place": place,
        "street": place.street,
        "items": Item.objects.filter(street=place.street, is_active=True).order_by("name"),
        "waiting": q.waiting_tickets(place).count(),
    }
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "checkin":
                ticket = queue_services.ticket_check_in(
                    place=place,
                    code=request.POST.get("payload") or request.POST.get("code", ""),
                    actor=request_user(request),
                )
            elif action == "walk_in":
                item_id = request.POST.get("item", "")
                item = Item.objects.filter(street=place.street, pk=int(item_id)).first() if item_id.isdigit() else None
                ticket = queue_services.ticket_walk_in(place=place, item=item, actor=request_user(request))
            else:
                raise Problem("validation_error")
        except Problem as problem:
            ctx["problem"] = problem_message(problem)
            status = problem.http_status
        else:
            return HttpResponseRedirect(reverse("affairs:kiosk_ticket", args=[place.pk, ticket.token]))
    return render(request, "affairs/kiosk.html", ctx, status=status)


def kiosk_ticket(request: HttpRequest, place_id: int, token: str) -> HttpResponse:
    """The ticket the kiosk just gave: the number, big, and a QR to follow it on the phone (and print)."""
    place, denied = _centre_for_staff(request, place_id)
    if denied is not None:
        return denied
    ticket = q.ticket_by_token(token)
    if ticket is None or ticket.place_id != place.pk:
        raise Http404
    url = ticket_url(request, ticket)
    return render(
        request,
        "affairs/kiosk_ticket.html",
        {"place": place, "street": place.street, "ticket": ticket, "ahead": q.ticket_ahead(ticket),
         "qr_svg": _qr_svg(url), "ticket_link": url},
    )  # fmt: skip


# ----------------------------------------------------------------------------------------- the phone


def ticket_page(request: HttpRequest, token: str) -> HttpResponse:
    """A ticket on the resident's phone (its address is the secret): the number, how many are ahead, the window
    once called. The page follows the centre's hall socket and reloads its status part when the queue moves."""
    ticket = q.ticket_by_token(token)
    if ticket is None:
        raise Http404
    ctx = {"ticket": ticket, "ahead": q.ticket_ahead(ticket), "street": ticket.place.street, "place": ticket.place}
    if request.GET.get("part") == "status":
        return render(request, "affairs/_ticket_status.html", ctx)
    return render(request, "affairs/ticket.html", ctx)


@require_http_methods(["GET", "POST"])
def take_ticket(request: HttpRequest, place_id: int) -> HttpResponse:
    """A walk-in ticket on the phone, for a signed-in resident at the centre."""
    place = q.centre_get(place_id)
    if place is None:
        raise Http404
    if not request.user.is_authenticated:
        return login_redirect(request)
    ctx: dict[str, Any] = {
        "place": place,
        "street": place.street,
        "items": Item.objects.filter(street=place.street, is_active=True).order_by("name"),
        "waiting": q.waiting_tickets(place).count(),
    }
    if request.method == "POST":
        user = request_user(request)
        allowed, retry = ratelimit.hit(f"affairs-ticket:{user.pk}", 5, 3600)
        try:
            if not allowed:
                raise Problem("rate_limited", extra={"retry_after": retry})
            item_id = request.POST.get("item", "")
            item = Item.objects.filter(street=place.street, pk=int(item_id)).first() if item_id.isdigit() else None
            ticket = queue_services.ticket_walk_in(place=place, item=item, user=user)
        except Problem as problem:
            ctx["problem"] = problem_message(problem)
            return render(request, "affairs/take_ticket.html", ctx, status=problem.http_status)
        return HttpResponseRedirect(reverse("affairs:ticket", args=[ticket.token]))
    return render(request, "affairs/take_ticket.html", ctx)


# --------------------------------------------------------------------------------------- the window


def _window_context(request: HttpRequest, counter: Counter) -> dict[str, Any]:
    user = request_user(request)
    current = queue_services.counter_current(counter)
    offered = q.offered_to(counter, user)
    return {
        "counter": counter,
        "place": counter.place,
        "street": counter.street,
        "current": current,
        "checklist": q.checklist(current) if current else [],
        "prereview": current.appointment.prereview if current and current.appointment else None,
        "offered": offered[:12],
        "offered_count": len(offered),
        "waiting_all": q.waiting_tickets(counter.place).count(),
        "skills": sorted(i.name for i in Item.objects.filter(skills__user=user, street=counter.street)),
        "remote_waiting": list(q.remote_waiting({counter.street_id})[:5]),
    }


def window(request: HttpRequest) -> HttpResponse:
    """The clerk's page. Without `?counter=`: pick the centre's window to work at."""
    if not request.user.is_authenticated:
        return login_redirect(request)
    user = request_user(request)
    centres = list(q.centres_for(user))
    if not centres:
        return _forbidden(request)
    counter_id = request.GET.get("counter", "")
    counter = (
        Counter.objects.select_related("place", "street", "clerk").filter(pk=int(counter_id), place__in=centres).first()
        if counter_id.isdigit()
        else None
    )
    if counter is None:
        return render(
            request,
            "affairs/window_pick.html",
            {"centres": [(c, list(q.counters_of(c))) for c in centres], "street": centres[0].street},
        )
    ctx = _window_context(request, counter)
    if request.GET.get("part") == "queue":
        return render(request, "affairs/_window_queue.html", ctx)
    return render(request, "affairs/window.html", ctx)


@require_POST
def window_action(request: HttpRequest, counter_id: int) -> HttpResponse:
    """Call next, recall, missed, back to the queue, or the outcome (served / incomplete / referred)."""
    if not request.user.is_authenticated:
        return login_redirect(request)
    user = request_user(request)
    counter = Counter.objects.select_related("place", "street").filter(pk=counter_id).first()
    if counter is None:
        raise Http404
    if not user_has_role(user, street=counter.street, roles=queue_services.CLERK_ROLES):
        return _forbidden(request)
    action = request.POST.get("action", "")
    ticket = None
    if action not in ("call_next", "sign_in"):
        ticket_id = request.POST.get("ticket", "")
        ticket = (
            QueueTicket.objects.select_related("appointment", "appointment__prereview", "counter", "street", "item")
            .filter(pk=int(ticket_id), place_id=counter.place_id)
            .first()
            if ticket_id.isdigit()
            else None
        )
        if ticket is None:
            raise Http404
    message = ""
    try:
        if action == "sign_in":
            queue_services.counter_sign_in(counter=counter, clerk=user)
        elif action == "call_next":
            queue_services.counter_sign_in(counter=counter, clerk=user)
            called = queue_services.ticket_call_next(counter=counter, clerk=user)
            if called is None:
                message = "empty"
        elif action == "recall" and ticket is not None:
            queue_services.ticket_recall(ticket=ticket, clerk=user)
        elif action == "missed" and ticket is not None:
            queue_services.ticket_miss(ticket=ticket, clerk=user)
        elif action == "requeue" and ticket is not None:
            queue_services.ticket_requeue(ticket=ticket, actor=user)
        elif action == "finish" and ticket is not None:
            queue_services.ticket_finish(
                ticket=ticket,
                clerk=user,
                outcome=request.POST.get("outcome", ""),
                missing=[*request.POST.getlist("missing"), *request.POST.get("missing_other", "").split("、")],
                referred_to=request.POST.get("referred_to", ""),
                note=request.POST.get("note", ""),
            )
        else:
            raise Problem("validation_error")
    except Problem as problem:
        ctx = _window_context(request, counter)
        ctx["problem"] = problem_message(problem)
        return render(request, "affairs/window.html", ctx, status=problem.http_status)
    url = f"{reverse('affairs:window')}?counter={counter.pk}"
    if message:
        url += f"&msg={message}"
    return HttpResponseRedirect(url)


# ----------------------------------------------------------------------------------------- the hall


def hall(request: HttpRequest, place_id: int) -> HttpResponse:
    """The hall screen (大厅叫号屏): numbers called to windows, live over the WebSocket, said aloud in Mandarin.
    Public: numbers and windows only, no names."""
    place = q.centre_get(place_id)
    if place is None:
        raise Http404
    calls = q.recent_calls(place)
    return render(
        request,
        "affairs/hall.html",
        {
            "place": place,
            "street": place.street,
            "latest": calls[0] if calls else None,
            "calls": calls[1:],
            "waiting": q.waiting_tickets(place).count(),
            "ws_path": f"/ws/affairs/hall/{place.pk}/",
            "statuses": TicketStatus,
        },
    )
