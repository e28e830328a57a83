"""Residents' pages: pre-review upload (the phone's camera), booking a slot, my affairs (appointments with QR,
cancel, reschedule, .ics; pre-reviews with their timeline and the corrections asked)."""

from __future__ import annotations

import datetime as dt
import io
from collections import OrderedDict
from typing import Any
from zoneinfo import ZoneInfo

import segno
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from linli.affairs import selectors
from linli.affairs.models import (
    FileReview,
    Item,
    PreReview,
    PreReviewFile,
    PreReviewStatus,
)
from linli.affairs.services import appointments as appointment_services
from linli.affairs.services import prereviews as prereview_services
from linli.affairs.services.calendar import appointment_ics_bytes, ics_language
from linli.affairs.services.defaults import policy_for
from linli.affairs.views.common import forbidden
from linli.core.auth import request_user
from linli.core.downloads import ics_response
from linli.core.errors import Problem
from linli.core.pages import login_redirect, problem_message

SH = ZoneInfo("Asia/Shanghai")


def _item(item_id: int) -> Item:
    item = (
        selectors.items_with_materials(Item.objects.filter(is_active=True, pk=item_id)).select_related("street").first()
    )
    if item is None:
        raise Http404(str(item_id))
    return item


def _uploads(request: HttpRequest) -> dict[int, Any]:
    return {
        int(name[9:]): request.FILES[name]
        for name in request.FILES
        if name.startswith("material_") and name[9:].isdigit()
    }


# ------------------------------------------------------------------------------------------ pre-review


@require_http_methods(["GET", "POST"])
def prereview_new(request: HttpRequest, item_id: int) -> HttpResponse:
    """Upload one photo (or PDF) per material, straight from the phone's camera."""
    if not request.user.is_authenticated:
        return login_redirect(request)
    item = _item(item_id)
    user = request_user(request)
    problem = None
    if request.method == "POST":
        try:
            checked = prereview_services.files_check(_uploads(request))  # before any transaction
            pr = prereview_services.prereview_submit(
                item=item, user=user, files=checked, entrusted=request.POST.get("entrusted") == "1"
            )
            return HttpResponseRedirect(reverse("affairs:my_prereview", args=[pr.pk]) + "?done=submitted")
        except Problem as exc:
            problem = problem_message(exc)
    materials = prereview_services.materials_of(item)
    return render(
        request,
        "affairs/prereview_new.html",
        {"item": item, "street": item.street, "materials": materials, "problem": problem},
        status=422 if problem else 200,
    )


@require_http_methods(["GET", "POST"])
def my_prereview(request: HttpRequest, prereview_id: int) -> HttpResponse:
    """A pre-review: each material's review, the timeline; uploads for the flagged materials only."""
    if not request.user.is_authenticated:
        return login_redirect(request)
    user = request_user(request)
    pr = PreReview.objects.select_related("item", "street").filter(pk=prereview_id, user=user).first()
    if pr is None:
        raise Http404(str(prereview_id))
    problem = None
    if request.method == "POST":
        try:
            if request.POST.get("action") == "withdraw":
                prereview_services.prereview_withdraw(prereview=pr, user=user)
                return HttpResponseRedirect(request.path + "?done=withdrawn")
            checked = prereview_services.files_check(_uploads(request))
            prereview_services.prereview_correct(prereview=pr, user=user, files=checked)
            return HttpResponseRedirect(request.path + "?done=corrected")
        except Problem as exc:
            problem = problem_message(exc)
            pr.refresh_from_db()
    files = selectors.prereview_files_current(prereview=pr)
    return render(
        request,
        "affairs/my_prereview.html",
        {
            "pr": pr,
            "item": pr.item,
            "street": pr.street,
            "files": files,
            "flagged": [f for f in files if f.review == FileReview.NEEDS_CORRECTION],
            "events": list(pr.events.all()),
            "problem": problem,
            "done": request.GET.get("done", ""),
            "can_book": pr.status == PreReviewStatus.APPROVED,
        },
        status=422 if problem else 200,
    )


@require_GET
def prereview_file(request: HttpRequest, file_id: int) -> HttpResponseBase:
    """A pre-review file, for its owner and the street's reviewers only (staff reads are audited); never cached,
    sandboxed, never sniffed."""
    if not request.user.is_authenticated:
        return login_redirect(request)
    row = PreReviewFile.objects.select_related("prereview", "prereview__street").filter(pk=file_id).first()
    if row is None or not row.file:
        raise Http404(str(file_id))
    try:
        prereview_services.prereview_file_read(row=row, user=request_user(request))
    except Problem:
        return forbidden(request)
    is_pdf = row.content_type == "application/pdf"
    resp = FileResponse(
        row.file.open("rb"),
        content_type=row.content_type,
        as_attachment=is_pdf,
        filename=f"{row.prereview.code}-{row.material_id}.{'pdf' if is_pdf else 'jpg'}",
    )
    resp["Cache-Control"] = "private, no-store"
    resp["X-Content-Type-Options"] = "nosniff"
    resp["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp


# ------------------------------------------------------------------------------------------- booking


def slot_days(slots: Any) -> list[tuple[dt.date, list[Any]]]:
    days: OrderedDict[dt.date, list[Any]] = OrderedDict()
    for s in slots:
        days.setdefault(timezone.localtime(s.start, SH).date(), []).append(s)
    return list(days.items())


@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, item_id: int) -> HttpResponse:
    """Choose a free slot (by day, at the centre's windows or a remote point) and book it in one tap."""
    if not request.user.is_authenticated:
        return login_redirect(request)
    item = _item(item_id)
    user = request_user(request)
    problem = None
    if request.method == "POST":
        try:
            appointment = appointment_services.appointment_book(
                slot=int(request.POST.get("slot") or 0), item=item, user=user
            )
            return HttpResponseRedirect(reverse("affairs:my_appointment", args=[appointment.pk]) + "?done=booked")
        except (Problem, ValueError) as exc:
            problem = problem_message(exc if isinstance(exc, Problem) else Problem("not_found"))
    place = request.GET.get("place")
    slots = list(selectors.slots_free(item=item, place=int(place) if place and place.isdigit() else None, limit=300))
    places = {s.resource.place_id: s.resource.place for s in slots}
    prereview = selectors.prereview_approved_for(user=user, item=item)
    return render(
        request,
        "affairs/book.html",
        {
            "item": item,
            "street": item.street,
            "days": slot_days(slots),
            "places": list(places.values()),
            "place": place,
            "prereview": prereview,
            "problem": problem,
        },
        status=409 if problem else 200,
    )


def qr_svg(appointment: Any) -> str:
    out = io.BytesIO()
    segno.make(appointment_services.appointment_qr_payload(appointment), error="m", micro=False).save(
        out, kind="svg", scale=6, border=2, xmldecl=False, svgns=True, title="预约二维码 appointment QR"
    )
    return out.getvalue().decode("utf-8")


@require_GET
def my_affairs(request: HttpRequest) -> HttpResponse:
    """My appointments (upcoming with QR, past) and my pre-reviews."""
    if not request.user.is_authenticated:
        return login_redirect(request)
    user = request_user(request)
    now = timezone.now()
    appointments = list(selectors.appointments_for_user(user=user)[:100])
    upcoming = [a for a in appointments if a.status in ("booked", "checked_in") and a.end > now]
    upcoming.sort(key=lambda a: a.start)
    past = [a for a in appointments if a not in upcoming]
    prereviews = list(selectors.prereviews_for_user(user=user)[:50])
    suspension = None
    street = user.home_street
    if street is not None:
        suspension = appointment_services.suspension_active(user=user, street_id=street.pk, now=now)
    return render(
        request,
        "affairs/my_affairs.html",
        {
            "upcoming": [{"a": a, "qr": qr_svg(a)} for a in upcoming],
            "past": past,
            "prereviews": prereviews,
            "suspension": suspension,
            "street": street,
        },
    )


@require_http_methods(["GET", "POST"])
def my_appointment(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """One appointment: the QR code for the desk, where and when, what to bring; cancel or move it until the
    cut-off; add to the calendar."""
    if not request.user.is_authenticated:
        return login_redirect(request)
    user = request_user(request)
    try:
        a = selectors.appointment_for_user(user=user, appointment_id=appointment_id)
    except Problem as exc:
        raise Http404(str(appointment_id)) from exc
    problem = None
    if request.method == "POST":
        try:
            if request.POST.get("action") == "cancel":
                appointment_services.appointment_cancel(appointment=a, actor=user)
                return HttpResponseRedirect(request.path + "?done=cancelled")
            if request.POST.get("action") == "reschedule":
                appointment_services.appointment_reschedule(
                    appointment=a, slot=int(request.POST.get("slot") or 0), actor=user
                )
                return HttpResponseRedirect(request.path + "?done=rescheduled")
        except (Problem, ValueError) as exc:
            problem = problem_message(exc if isinstance(exc, Problem) else Problem("not_found"))
            a = selectors.appointment_for_user(user=user, appointment_id=appointment_id)
    cutoff = policy_for(a.street_id).cancel_cutoff_minutes
    cancel_until = a.start - dt.timedelta(minutes=cutoff)
    can_change = a.status == "booked" and timezone.now() < cancel_until
    other_slots = []
    if can_change and request.GET.get("move"):
        other_slots = slot_days(s for s in selectors.slots_free(item=a.item, limit=120) if s.pk != a.slot_id)
    materials = [m for m in a.item.materials.order_by("position") if m.position < 1000]
    return render(
        request,
        "affairs/my_appointment.html",
        {
            "a": a,
            "item": a.item,
            "street": a.street,
            "qr": qr_svg(a) if a.status in ("booked", "checked_in") else "",
            "materials": materials,
            "cancel_until": cancel_until,
            "can_change": can_change,
            "days": other_slots,
            "problem": problem,
            "done": request.GET.get("done", ""),
            "events": list(a.events.all()),
        },
        status=409 if problem else 200,
    )


@require_GET
def my_appointment_ics(request: HttpRequest, appointment_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return login_redirect(request)
    try:
        a = selectors.appointment_for_user(user=request_user(request), appointment_id=appointment_id)
    except Problem as exc:
        raise Http404(str(appointment_id)) from exc
    return ics_response(
        appointment_ics_bytes(a, ics_language(request, request_user(request))),
        filename=f"affair-{a.code}.ics",
        attachment=True,
        private=True,
    )
