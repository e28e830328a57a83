"""The volunteer's pages (phone first, elder mode: many volunteers are retired): my shifts and sign-up, check-in
by the station's QR, hours, certificate, the time bank's balance and offers; registration; certificate check."""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import segno
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from linli.core.auth import request_user
from linli.core.errors import Problem
from linli.core.models import Street
from linli.core.pages import login_redirect, problem_message
from linli.volunteers import selectors
from linli.volunteers.models import SKILLS, Offer, OfferKind, Signup, SignupStatus, SwapRequest, SwapStatus, Volunteer
from linli.volunteers.services import certificates, profiles, shifts, timebank


def _volunteer_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page of one's own volunteering: called with the signed-in user's volunteer profile; sign-in first, and a
    user without a profile goes to the volunteers' home page to register."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return login_redirect(request)
        volunteer = selectors.volunteer_of(request_user(request))
        if volunteer is None:
            return HttpResponseRedirect(reverse("volunteers:home"))
        return view(request, volunteer, *args, **kwargs)

    return wrapper


def _street_for(request: HttpRequest, user: Any) -> Street | None:
    code = request.GET.get("street") or request.POST.get("street")
    if code:
        return Street.objects.filter(code=code).first()
    return user.home_street or Street.objects.order_by("pk").first()


def _confirm_qr(signup: Signup) -> dict[str, str]:
    site = str(getattr(settings, "LINLI_SITE_URL", "") or "")
    url = f"{site}{reverse('volunteers:confirm', args=[shifts.confirm_token(signup)])}"
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=4, border=2, xmldecl=False, omitsize=True)
    return {"url": url, "svg": out.getvalue().decode()}


@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return login_redirect(request)
    user = request_user(request)
    volunteer = selectors.volunteer_of(user)
    problem = None
    done = request.GET.get("done", "")
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "register" and volunteer is None:
                street = _street_for(request, user)
                if street is None:
                    raise Problem("unknown_street")
                profiles.volunteer_register(
                    user=user, street=street, stations=list(selectors.stations_of(street)),
                    values={
                        "name": request.POST.get("name", ""), "skills": request.POST.getlist("skills"),
                        "tags": [t for t in request.POST.get("tags", "").replace("，", ",").split(",") if t.strip()],
                        "languages": [t for t in request.POST.get("languages", "").split(",") if t.strip()],
                        "emergency_name": request.POST.get("emergency_name", ""),
                        "emergency_phone": request.POST.get("emergency_phone", ""),
                        "consent": request.POST.get("consent") == "1",
                    },
                )  # fmt: skip
                return HttpResponseRedirect(reverse("volunteers:home") + "?done=registered")
            if volunteer is not None and action == "signup":
                shifts.signup_create(shift=int(request.POST.get("shift") or 0), volunteer=volunteer)
                return HttpResponseRedirect(reverse("volunteers:home") + "?done=signed_up")
            if volunteer is not None and action == "drop":
                signup = Signup.objects.select_related("shift__station", "volunteer").filter(
                    pk=int(request.POST.get("signup") or 0), volunteer=volunteer
                ).first()  # fmt: skip
                if signup is None:
                    raise Problem("not_found")
                shifts.signup_drop(signup=signup, actor=user)
                return HttpResponseRedirect(reverse("volunteers:home") + "?done=dropped")
            if volunteer is not None and action == "swap":
                signup = Signup.objects.select_related("shift__station", "volunteer__user").filter(
                    pk=int(request.POST.get("signup") or 0), volunteer=volunteer
                ).first()  # fmt: skip
                if signup is None:
                    raise Problem("not_found")
                shifts.swap_request(signup=signup, phone=request.POST.get("phone", ""), actor=user)
                return HttpResponseRedirect(reverse("volunteers:home") + "?done=swap_asked")
            if volunteer is not None and action in ("swap_accept", "swap_decline"):
                swap = SwapRequest.objects.select_related("signup__shift__station", "signup__volunteer__user", "to").filter(
                    pk=int(request.POST.get("swap") or 0), to=volunteer
                ).first()  # fmt: skip
                if swap is None:
                    raise Problem("not_found")
                shifts.swap_answer(request=swap, actor=user, accept=action == "swap_accept")
                return HttpResponseRedirect(reverse("volunteers:home") + f"?done={action}")
        except (Problem, ValueError) as exc:
            problem = problem_message(exc if isinstance(exc, Problem) else Problem("validation_error"))
    context: dict[str, Any] = {"volunteer": volunteer, "problem": problem, "done": done, "skills": SKILLS}
    if volunteer is not None:
        now = timezone.now()
        mine = list(selectors.my_signups(volunteer))
        asked = {
            r.signup_id: r
            for r in SwapRequest.objects.filter(signup__volunteer=volunteer, status=SwapStatus.PENDING).select_related(
                "to"
            )
        }
        for s in mine:
            s.pending_swap = asked.get(s.pk)  # type: ignore[attr-defined]
            s.confirm_qr = _confirm_qr(s) if s.status == SignupStatus.CHECKED_IN else None  # type: ignore[attr-defined]
            s.deadline = shifts.drop_deadline(s.shift)  # type: ignore[attr-defined]
            s.can_change = s.status == SignupStatus.SIGNED_UP and now <= s.deadline  # type: ignore[attr-defined]
        taken = {s.shift_id for s in mine}
        open_shifts = [
            s for s in selectors.shifts_between(street=volunteer.street, start=now, end=now + timedelta(days=14))[:60]
            if s.pk not in taken and s.taken < s.places and s.start > now
        ]  # fmt: skip
        context.update(
            mine=mine, open_shifts=open_shifts[:20], hours=selectors.hours_summary(volunteer),
            checked_in=SignupStatus.CHECKED_IN, year=timezone.localdate().year,
            cert_token=certificates.certificate_token(volunteer),
            swaps_in=[  # a request not answered by the deadline lapses: no longer offered
                r for r in SwapRequest.objects.filter(to=volunteer, status=SwapStatus.PENDING).select_related(
                    "signup__shift__station", "signup__volunteer")
                if now <= shifts.drop_deadline(r.signup.shift)
            ],

        )  # fmt: skip
    return render(request, "volunteers/home.html", context)


@require_http_methods(["GET", "POST"])
def checkin(request: HttpRequest) -> HttpResponse:
    """Where the station's QR code leads: one big button checks in (or out)."""
    if not request.user.is_authenticated:
        return login_redirect(request)
    token = request.GET.get("t", "") or request.POST.get("t", "")
    signup = problem = None
    if request.method == "POST":
        try:
            signup = shifts.signup_check_in_by_code(token=token, user=request_user(request))
        except Problem as exc:
            problem = problem_message(exc)
    return render(request, "volunteers/checkin.html", {"token": token, "signup": signup, "problem": problem})


@require_GET
@_volunteer_view
def certificate_pdf(request: HttpRequest, volunteer: Volunteer) -> HttpResponse:
    year = request.GET.get("year")
    pdf = certificates.certificate_pdf(volunteer, year=int(year) if year and year.isdigit() else None)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="volunteer-certificate.pdf"'
    return response


@require_GET
def certificate_check(request: HttpRequest, token: str) -> HttpResponse:
    """Anyone with the certificate's QR code checks it here (name masked)."""
    try:
        cert = certificates.certificate_verify(token)
    except Problem:
        return render(request, "volunteers/certificate.html", {"cert": None}, status=404)
    return render(request, "volunteers/certificate.html", {"cert": cert, "hours": round(cert.minutes / 60, 1)})


def _my_offer(request: HttpRequest, volunteer: Volunteer, *, mine: bool) -> Offer:
    qs = Offer.objects.select_related("volunteer__user").filter(
        pk=int(request.POST.get("offer") or 0), volunteer__street_id=volunteer.street_id, active=True
    )  # fmt: skip
    offer = (qs.filter(volunteer=volunteer) if mine else qs.exclude(volunteer=volunteer)).first()
    if offer is None:
        raise Problem("not_found")
    return offer


@require_http_methods(["GET", "POST"])
@_volunteer_view
def time_bank(request: HttpRequest, volunteer: Volunteer) -> HttpResponse:
    """The time bank (TimeOverflow): balance and movements; other volunteers' offers, paid with one's hours once
    received; one's own offers and requests, a request settled by paying the helper. Every payment is one
    transfer of two entries netting to zero."""
    user = request_user(request)
    problem = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "offer":
                timebank.offer_create(volunteer=volunteer, kind=request.POST.get("kind", ""),
                                      title=request.POST.get("title", ""),
                                      minutes=int(request.POST.get("minutes") or 60))  # fmt: skip
            elif action == "use":
                timebank.offer_use(offer=_my_offer(request, volunteer, mine=False), payer=volunteer, actor=user)
            elif action == "settle":
                timebank.request_settle(offer=_my_offer(request, volunteer, mine=True),
                                        helper_phone=request.POST.get("phone", ""), actor=user)  # fmt: skip
            elif action == "close":
                timebank.offer_close(offer=_my_offer(request, volunteer, mine=True), actor=user)
            else:
                raise Problem("validation_error")
            return HttpResponseRedirect(reverse("volunteers:time_bank") + f"?done={action}")
        except (Problem, ValueError) as exc:
            problem = problem_message(exc if isinstance(exc, Problem) else Problem("validation_error"))
    offers = list(selectors.offers_of_street(volunteer.street)[:60])
    return render(request, "volunteers/timebank.html", {
        "volunteer": volunteer, "hours": selectors.hours_summary(volunteer), "problem": problem,
        "done": request.GET.get("done", ""), "offer_kinds": OfferKind.choices,
        "others": [o for o in offers if o.volunteer_id != volunteer.pk],
        "own": [o for o in offers if o.volunteer_id == volunteer.pk],
    })  # fmt: skip


def _year(request: HttpRequest) -> int:
    year = request.GET.get("year", "")
    this = timezone.localdate().year
    return int(year) if year.isdigit() and 2000 <= int(year) <= this else this


@require_GET
@_volunteer_view
def statement(request: HttpRequest, volunteer: Volunteer) -> HttpResponse:
    """The yearly statement (年度服务记录): every credit and exchange of the year, hours by month, and the PDF."""
    year = _year(request)
    this = timezone.localdate().year
    return render(request, "volunteers/statement.html", {
        "st": timebank.statement(volunteer, year), "years": list(range(this, max(2000, volunteer.created_at.year - 1) - 1, -1))[:6],
    })  # fmt: skip


@require_GET
@_volunteer_view
def statement_pdf(request: HttpRequest, volunteer: Volunteer) -> HttpResponse:
    year = _year(request)
    response = HttpResponse(certificates.statement_pdf(volunteer, year=year), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="volunteer-statement-{year}.pdf"'
    return response


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Where a volunteer's QR code leads: a resident they served confirms they were on duty (once)."""
    try:
        signup = shifts.signup_from_confirm_token(token)
    except Problem:
        return render(request, "volunteers/confirm.html", {"signup": None}, status=404)
    if not request.user.is_authenticated:
        return login_redirect(request)
    user = request_user(request)
    problem = None
    if request.method == "POST":
        try:
            shifts.signup_confirm_by_resident(signup=signup, user=user)
            return HttpResponseRedirect(f"{request.path}?done=1")
        except Problem as exc:
            problem = problem_message(exc)
    return render(request, "volunteers/confirm.html", {
        "signup": signup, "problem": problem, "open": shifts.confirmable(signup),
        "mine": signup.confirmations.filter(user=user).exists(), "name": signup.volunteer.name[:1] + "**",
    })  # fmt: skip
