"""Activity pages: the street's list, an activity with one-tap booking, my bookings with QR codes, and the
staff pages (list, create/edit/publish/cancel, bookings with downloads, check-in at the door).

Thin views: they parse the request, call the activities selectors/services and render. Every `Problem` a
service raises is shown on the page as a friendly message with the problem's HTTP status, never a 500.
The check-in page posts the typed short code (or the payload the camera scanner read) to itself; htmx swaps
only the result when JavaScript runs, and the same form works without it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from linli.activities import hooks, selectors
from linli.activities.forms import ActivityForm, CancelActivityForm, CheckInForm, WalkInForm, place_choices
from linli.activities.models import (
    ACTIVE_BOOKING_STATUSES,
    Activity,
    ActivityStatus,
    Audience,
    Booking,
    BookingStatus,
    Category,
)
from linli.activities.services import activities as activity_services
from linli.activities.services import bookings as booking_services
from linli.activities.services import checkin as checkin_services
from linli.core import selectors as core_selectors
from linli.core.auth import request_user
from linli.core.errors import Problem
from linli.core.geo import haversine_m, navigation_links, walk_minutes
from linli.core.models import User
from linli.core.origins import origin_query, parse_origin
from linli.core.pages import login_redirect, problem_message, staff_street_choice
from linli.core.phones import mask_phone
from linli.places import selectors as place_selectors

STAFF_ROLES = ["admin", "station_staff"]
WINDOWS = ("today", "week", "month")


# ------------------------------------------------------------------------------------------- helpers


def _local_today() -> date:
    return timezone.localdate()


def _parse_month(value: str | None) -> str | None:
    """The month as "YYYY-MM" when valid (and within a sane range), else None."""
    if not value or len(value) != 7 or value[4] != "-":
        return None
    try:
        year, month = int(value[:4]), int(value[5:])
    except ValueError:
        return None
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        return None
    return f"{year:04d}-{month:02d}"


def _shift_month(month: str, delta: int) -> str:
    year, mon = int(month[:4]), int(month[5:])
    index = year * 12 + (mon - 1) + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def seat_state(item: dict[str, Any], now: datetime) -> str:
    """What a resident needs to know at a glance: ended, cancelled, open seats, unlimited, waitlist or full."""
    if item["status"] == ActivityStatus.CANCELLED:
        return "cancelled"
    end = item["end"]
    if isinstance(end, str):
        end = datetime.fromisoformat(end)
    if end <= now:
        return "ended"
    if item["seats_left"] is None:
        return "unlimited"
    if item["seats_left"] > 0:
        return "open"
    if (item.get("waitlisted") or 0) < (item.get("waitlist_capacity") or 0):
        return "waitlist"
    return "full"


def _decorate(activity: Activity, now: datetime, origin: tuple[float, float] | None = None) -> dict[str, Any]:
    item = selectors.activity_to_dict(activity)
    item["seat_state"] = seat_state(item, now)
    item["url"] = reverse("activities:detail", args=[activity.id])
    item["place_url"] = reverse("places:detail", args=[activity.place_id])
    item["place_address"] = activity.place.address
    item["distance_m"] = None
    if origin is not None:
        metres = haversine_m(origin[0], origin[1], activity.place.lat, activity.place.lng)
        item["distance_m"] = metres
        item["walk_minutes"] = walk_minutes(metres)
    return item


def _problem_response(request: HttpRequest, template: str, ctx: dict[str, Any], problem: Problem) -> HttpResponse:
    ctx["problem"] = problem_message(problem)
    return render(request, template, ctx, status=problem.http_status)


def _forbidden(request: HttpRequest, street: Any = None) -> HttpResponse:
    return render(request, "activities/forbidden.html", {"street": street}, status=403)


def _live_booking(user: Any, activity: Activity) -> Booking | None:
    if not user.is_authenticated:
        return None
    return (
        selectors.booking_list_for_user(user=user)
        .filter(activity_id=activity.id, status__in=ACTIVE_BOOKING_STATUSES)
        .first()
    )


# ------------------------------------------------------------------------------------- resident pages

PAST_BOOKINGS_SHOWN = 30


@require_GET
@vary_on_headers("HX-Request")
def street_activities(request: HttpRequest, code: str) -> HttpResponse:
    """This month's (or today's, this week's, a chosen month's) activities of a street, with filters."""
    try:
        street = core_selectors.street_get(code=code)
    except Problem as exc:
        raise Http404(code) from exc
    today = _local_today()
    window = request.GET.get("when") if request.GET.get("when") in WINDOWS else "month"
    month = _parse_month(request.GET.get("month")) or today.strftime("%Y-%m")
    category = request.GET.get("category") if request.GET.get("category") in Category.values else ""
    q = (request.GET.get("q") or "").strip()[:100]
    origin = parse_origin(request.GET.get("from"))
    origin_param = origin_query(origin)

    filters: dict[str, Any] = {"street": street, "category": category or None, "q": q or None}
    if window == "today":
        filters.update(date_from=today, date_to=today)
    elif window == "week":
        filters.update(date_from=today, date_to=today + timedelta(days=6 - today.weekday()))
    else:
        filters["month"] = month
    now = timezone.now()
    items = [_decorate(a, now, origin) for a in selectors.activity_list(**filters).select_related("place")]
    if origin is not None:
        items.sort(key=lambda i: (i["distance_m"], i["start"]))

    query = request.GET.copy()
    query.pop("from", None)
    base = reverse("activities:street_list", args=[street.code])
    ctx = {
        "street": street,
        "items": items,
        "window": window,
        "month": month,
        "month_label": {"year": int(month[:4]), "month": int(month[5:])},
        "prev_month": _shift_month(month, -1),
        "next_month": _shift_month(month, 1),
        "categories": Category.choices,
        "category": category,
        "q": q,
        "origin": origin,
        "origin_param": origin_param,
        "clear_origin_url": f"{base}?{query.urlencode()}" if query else base,
        "map_url": reverse("places:street_map", args=[street.code]),
        "now": now,
    }
    if request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request"):
        return render(request, "activities/_list_results.html", ctx)
    return render(request, "activities/list.html", ctx)


def _activity_context(request: HttpRequest, activity: Activity) -> dict[str, Any]:
    now = timezone.now()
    item = _decorate(activity, now)
    booking = _live_booking(request.user, activity)
    place = activity.place
    item["opens_later"] = bool(activity.booking_opens_at and activity.booking_opens_at > now)
    item["closed_early"] = bool(activity.booking_closes_at and activity.booking_closes_at <= now)
    return {
        "street": activity.street,
        "activity": item,
        "audience_label": Audience(activity.audience).label if activity.audience in Audience.values else "",
        "place": place,
        "navigation": navigation_links(place.lat, place.lng, place.name),
        "booking": selectors.booking_to_dict(booking) if booking else None,
        "booking_obj": booking,
        "booking_panels": hooks.BOOKING_PANEL.urls(booking=booking, view="detail"),  # e.g. meals' lunch offer
        "now": now,
        "problem": None,
        "list_url": reverse("activities:street_list", args=[activity.street.code]),
    }


@require_http_methods(["GET", "POST"])
def activity_detail(request: HttpRequest, activity_id: int) -> HttpResponse:
    """The activity page; POST is the one-tap booking (signed-out residents go to sign-in first)."""
    try:
        activity = selectors.activity_get(activity_id=activity_id)
    except Problem:
        activity = _staff_preview(request, activity_id)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return login_redirect(request, reverse("activities:detail", args=[activity_id]))
        try:
            booking = booking_services.booking_create(activity=activity, user=request.user, source="app")
        except Problem as problem:
            activity.refresh_from_db()
            return _problem_response(request, "activities/detail.html", _activity_context(request, activity), problem)
        return HttpResponseRedirect(reverse("activities:detail", args=[activity_id]) + f"?booked={booking.pk}")
    ctx = _activity_context(request, activity)
    ctx["just_booked"] = bool(ctx["booking"]) and request.GET.get("booked") == str(ctx["booking"]["booking_id"])
    return render(request, "activities/detail.html", ctx)


def _staff_preview(request: HttpRequest, activity_id: int) -> Activity:
    """Drafts are visible to the street's staff only (a preview); everyone else gets a 404."""
    if request.user.is_authenticated:
        try:
            activity = selectors.activity_get(activity_id=activity_id, include_unpublished=True)
        except Problem as exc:
            raise Http404(str(activity_id)) from exc
        if core_selectors.user_has_role(request.user, street=activity.street, roles=STAFF_ROLES):
            return activity
    raise Http404(str(activity_id))


@login_required
@require_GET
def my_bookings(request: HttpRequest) -> HttpResponse:
    """Upcoming bookings first, each with its QR code and short code; then past and cancelled ones."""
    now = timezone.now()
    upcoming, past = [], []
    mine = selectors.booking_list_for_user(user=request_user(request))
    # Every booking of an activity not yet over, and the latest past ones: the page stays one screen after years.
    recent_past = mine.filter(activity__end__lte=now).order_by("-activity__start", "-id")[:PAST_BOOKINGS_SHOWN]
    for booking in [*mine.filter(activity__end__gt=now), *recent_past]:
        item = selectors.booking_to_dict(booking)
        item["activity"]["seat_state"] = seat_state(item["activity"], now)
        item["activity_url"] = reverse("activities:detail", args=[booking.activity_id])
        item["place_url"] = reverse("places:detail", args=[booking.activity.place_id])
        live = booking.status in ACTIVE_BOOKING_STATUSES and booking.activity.status != ActivityStatus.CANCELLED
        if live and booking.activity.end > now:
            if booking.status in (BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN):
                item["qr_svg"] = checkin_services.booking_qr_svg(booking)
            item["cancel_url"] = reverse("activities:booking_cancel", args=[booking.pk])
            item["panels"] = hooks.BOOKING_PANEL.urls(booking=booking, view="list")
            item["ics_url"] = f"/api/v1/bookings/{booking.pk}.ics"
            upcoming.append(item)
        else:
            past.append(item)
    upcoming.sort(key=lambda i: str(i["activity"]["start"]))
    past.sort(key=lambda i: str(i["activity"]["start"]), reverse=True)
    ctx = {
        "upcoming": upcoming,
        "past": past,
        "now": now,
        "cancelled": request.GET.get("cancelled") == "1",
        "street": request.user.home_street,  # type: ignore[union-attr]
    }
    return render(request, "activities/my_bookings.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
def booking_cancel(request: HttpRequest, booking_id: int) -> HttpResponse:
    """GET asks "are you sure?"; POST cancels (the first on the waitlist is promoted by the service)."""
    try:
        booking = selectors.booking_get_for_user(booking_id=booking_id, user=request_user(request))
    except Problem as exc:
        raise Http404(str(booking_id)) from exc
    ctx = {
        "booking": selectors.booking_to_dict(booking),
        "street": booking.activity.street,
        "now": timezone.now(),
        "problem": None,
        "back_url": reverse("activities:my_bookings"),
        # Pieces of other domains inside the form, posted with it (meals: the lunch ordered to the venue).
        "cancel_fragments": hooks.BOOKING_CANCEL_PANEL.urls(booking=booking),
    }
    if request.method == "POST":
        try:
            booking_services.booking_cancel(
                booking=booking, actor=request.user, reason="resident", choices=request.POST.dict()
            )
        except Problem as problem:
            return _problem_response(request, "activities/cancel_booking.html", ctx, problem)
        return HttpResponseRedirect(reverse("activities:my_bookings") + "?cancelled=1")
    return render(request, "activities/cancel_booking.html", ctx)


# ---------------------------------------------------------------------------------------- staff pages


def _staff_activity(request: HttpRequest, activity_id: int) -> tuple[Activity | None, HttpResponse | None]:
    """The activity when the user is staff of its street; else the response to send (sign-in, 404 or 403)."""
    if not request.user.is_authenticated:
        return None, login_redirect(request)
    try:
        activity = selectors.activity_get(activity_id=activity_id, include_unpublished=True)
    except Problem as exc:
        raise Http404(str(activity_id)) from exc
    if not core_selectors.user_has_role(request.user, street=activity.street, roles=STAFF_ROLES):
        return None, _forbidden(request, activity.street)
    return activity, None


def staff_streets(user: User) -> Any:
    """The streets where the user is staff (station staff and admins)."""
    return core_selectors.street_list_for_roles(user, roles=STAFF_ROLES)


def staff_street(request: HttpRequest) -> tuple[Any, list[Any], HttpResponse | None]:
    """The street of a station-staff page (activities, the meal counter): ?street=, else the first."""
    return staff_street_choice(request, staff_streets, _forbidden)


@require_GET
def staff_activity_list(request: HttpRequest) -> HttpResponse:
    street, streets, denied = staff_street(request)
    if denied:
        return denied
    now = timezone.now()
    show = request.GET.get("show") if request.GET.get("show") in ("upcoming", "past", "all") else "upcoming"
    qs = selectors.activity_list(street=street, include_unpublished=True).select_related("place")
    if show == "upcoming":
        qs = qs.filter(end__gte=now)
    elif show == "past":
        qs = qs.filter(end__lt=now).order_by("-start")
    items = [_decorate(a, now) for a in qs[:300]]
    ctx = {
        "street": street,
        "streets": streets,
        "items": items,
        "show": show,
        "now": now,
        "notice": request.GET.get("done", ""),
    }
    return render(request, "activities/staff_list.html", ctx)


def _form_fields(data: dict[str, Any], street: Any) -> dict[str, Any]:
    fields = dict(data)
    fields["place"] = _place_of_street(street, fields.pop("place"))
    fields.pop("publish", None)
    return fields


def _place_of_street(street: Any, place_id: str | int) -> Any:
    return place_selectors.place_list(street=street).get(pk=int(place_id))


@require_http_methods(["GET", "POST"])
def staff_activity_new(request: HttpRequest) -> HttpResponse:
    street, streets, denied = staff_street(request)
    if denied:
        return denied
    form = ActivityForm(request.POST or None, places=place_choices(street))
    ctx: dict[str, Any] = {"street": street, "streets": streets, "form": form, "problem": None, "mode": "new"}
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "activities/staff_form.html", ctx, status=422)
        publish = form.cleaned_data.get("publish")
        try:
            activity = activity_services.activity_create(
                street=street, actor=request_user(request), status="draft", **_form_fields(form.cleaned_data, street)
            )
            if publish:
                activity_services.activity_publish(activity=activity, actor=request_user(request))
        except Problem as problem:
            _form_problem(form, problem)
            return _problem_response(request, "activities/staff_form.html", ctx, problem)
        done = "published" if publish else "created"
        return HttpResponseRedirect(f"{reverse('activities:staff_list')}?street={street.code}&done={done}")
    return render(request, "activities/staff_form.html", ctx)


def _form_problem(form: ActivityForm, problem: Problem) -> None:
    """Per-field errors of a validation problem go next to their fields."""
    for err in problem.errors:
        name = str(err.get("field", "")).split("/")[-1].split(".")[-1]
        if name in form.fields:
            form.add_error(name, str(err.get("message") or problem.title))


@require_http_methods(["GET", "POST"])
def staff_activity_edit(request: HttpRequest, activity_id: int) -> HttpResponse:
    activity, denied = _staff_activity(request, activity_id)
    if denied:
        return denied
    assert activity is not None
    street = activity.street
    initial = {
        name: getattr(activity, name)
        for name in ActivityForm.base_fields
        if name not in ("place", "publish") and hasattr(activity, name)
    }
    initial["place"] = activity.place_id
    for name in ("start", "end", "booking_opens_at", "booking_closes_at", "cancel_deadline"):
        if initial.get(name):
            initial[name] = timezone.localtime(initial[name]).strftime("%Y-%m-%dT%H:%M")
    form = ActivityForm(request.POST or None, initial=initial, places=place_choices(street), editing=True)
    ctx: dict[str, Any] = {"street": street, "form": form, "problem": None, "mode": "edit", "activity": activity}
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "activities/staff_form.html", ctx, status=422)
        try:
            activity_services.activity_update(
                activity=activity, actor=request_user(request), **_form_fields(form.cleaned_data, street)
            )
        except Problem as problem:
            _form_problem(form, problem)
            return _problem_response(request, "activities/staff_form.html", ctx, problem)
        return HttpResponseRedirect(f"{reverse('activities:staff_list')}?street={street.code}&done=saved")
    return render(request, "activities/staff_form.html", ctx)


@require_POST
def staff_activity_publish(request: HttpRequest, activity_id: int) -> HttpResponse:
    activity, denied = _staff_activity(request, activity_id)
    if denied:
        return denied
    assert activity is not None
    try:
        activity_services.activity_publish(activity=activity, actor=request_user(request))
    except Problem as problem:
        ctx = {"street": activity.street, "activity": _decorate(activity, timezone.now()), "form": None}
        return _problem_response(request, "activities/staff_cancel.html", ctx, problem)
    return HttpResponseRedirect(f"{reverse('activities:staff_list')}?street={activity.street.code}&done=published")


@require_http_methods(["GET", "POST"])
def staff_activity_cancel(request: HttpRequest, activity_id: int) -> HttpResponse:
    """Cancel an activity with a message that goes to everyone booked or waitlisted."""
    activity, denied = _staff_activity(request, activity_id)
    if denied:
        return denied
    assert activity is not None
    form = CancelActivityForm(request.POST or None)
    ctx: dict[str, Any] = {
        "street": activity.street,
        "activity": _decorate(activity, timezone.now()),
        "form": form,
        "problem": None,
        "told": None,
    }
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "activities/staff_cancel.html", ctx, status=422)
        try:
            told = activity_services.activity_cancel(
                activity=activity, actor=request_user(request), message=form.cleaned_data["message"]
            )
        except Problem as problem:
            return _problem_response(request, "activities/staff_cancel.html", ctx, problem)
        activity.refresh_from_db()
        ctx.update(activity=_decorate(activity, timezone.now()), told=told, form=None)
    return render(request, "activities/staff_cancel.html", ctx)


def _booking_rows(activity: Activity, actor: Any) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {s: [] for s in BookingStatus.values}
    for booking in selectors.activity_bookings(activity=activity, actor=actor).select_related("user"):
        groups.setdefault(booking.status, []).append(
            {
                "id": booking.pk,
                "name": booking.user.display_name or "—",
                "phone": mask_phone(booking.user.phone),
                "code": booking.code,
                "status": booking.status,
                "status_label": booking.get_status_display(),
                "source": booking.get_source_display(),
                "created_at": booking.created_at,
                "checked_in_at": booking.checked_in_at,
            }
        )
    return groups


@require_GET
def staff_activity_bookings(request: HttpRequest, activity_id: int) -> HttpResponse:
    activity, denied = _staff_activity(request, activity_id)
    if denied:
        return denied
    assert activity is not None
    try:
        groups = _booking_rows(activity, request.user)
    except Problem:
        return _forbidden(request, activity.street)
    ctx = {
        "street": activity.street,
        "activity": _decorate(activity, timezone.now()),
        "groups": groups,
        "csv_url": f"/api/v1/activities/{activity.pk}/attendance.csv",
        "xlsx_url": f"/api/v1/activities/{activity.pk}/attendance.xlsx",
    }
    return render(request, "activities/staff_bookings.html", ctx)


@require_http_methods(["GET", "POST"])
def staff_checkin(request: HttpRequest, activity_id: int) -> HttpResponse:
    """The door: scan a QR code or type the short code; add walk-ins; mark no-shows after the end."""
    activity, denied = _staff_activity(request, activity_id)
    if denied:
        return denied
    assert activity is not None
    result: dict[str, Any] | None = None
    problem: Problem | None = None
    action = request.POST.get("action", "checkin") if request.method == "POST" else ""
    checkin_form = CheckInForm(request.POST if action == "checkin" else None)
    walkin_form = WalkInForm(request.POST if action == "walk_in" else None)
    status = 200
    if action:
        try:
            if action == "checkin":
                if checkin_form.is_valid():
                    booking = checkin_services.booking_check_in(
                        activity=activity,
                        actor=request_user(request),
                        payload=checkin_form.cleaned_data["payload"] or None,
                        code=checkin_form.cleaned_data["code"] or None,
                    )
                    already = getattr(booking, "already_checked_in", False)
                    result = {
                        "kind": "already" if already else "checked_in",
                        "booking": booking,
                        "name": str(booking.user),
                        "at": timezone.localtime(booking.checked_in_at) if booking.checked_in_at else None,
                    }
                    checkin_form = CheckInForm()
                else:
                    status = 422
            elif action == "walk_in":
                if walkin_form.is_valid():
                    booking = checkin_services.walk_in_create(
                        activity=activity,
                        actor=request_user(request),
                        phone=walkin_form.cleaned_data["phone"],
                        display_name=walkin_form.cleaned_data["display_name"],
                    )
                    result = {"kind": "walk_in", "booking": booking, "name": str(booking.user)}
                    walkin_form = WalkInForm()
                else:
                    status = 422
            elif action == "no_shows":
                count = checkin_services.activity_mark_no_shows(activity=activity, actor=request_user(request))
                result = {"kind": "no_shows", "count": count}
        except Problem as exc:
            problem = exc
            status = exc.http_status
        activity.refresh_from_db()
    now = timezone.now()
    item = _decorate(activity, now)
    ctx = {
        "street": activity.street,
        "activity": item,
        "result": result,
        "problem": problem_message(problem) if problem else None,
        "checkin_form": checkin_form,
        "walkin_form": walkin_form,
        "walk_in_open": item["seat_state"] in ("open", "unlimited") and activity.status == ActivityStatus.PUBLISHED,
        "ended": activity.end <= now,
        "checked_in": selectors.activity_bookings(activity=activity, actor=request_user(request))
        .filter(status=BookingStatus.CHECKED_IN)
        .count(),
        "now": now,
    }
    if request.headers.get("HX-Request") and action in ("checkin", ""):
        ctx["oob"] = True
        return render(request, "activities/_checkin_result.html", ctx, status=200 if status < 500 else status)
    return render(request, "activities/staff_checkin.html", ctx, status=status)
