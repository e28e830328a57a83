"""Pages: sign-in by SMS code, sign-out, my account, the elder-mode switch. Thin: parse, call a service.

What every domain's pages share (the sign-in redirect, the staff street picker, problem messages) is in
`linli.core.pages`, not here: no domain imports another's views."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from linli.core import selectors, services, workbench
from linli.core.auth import request_user
from linli.core.errors import Problem
from linli.core.forms import CodeForm, PhoneForm, ProfileForm
from linli.core.hooks import ME_PANEL
from linli.core.pages import problem_message
from linli.core.phones import InvalidPhone, mask_phone, normalize_phone
from linli.core.ratelimit import client_ip
from linli.core.resume import stash

ELDER_COOKIE = "linli_elder"
ONE_YEAR = 365 * 24 * 3600


def safe_next(request: HttpRequest, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request, "")
    ctx: dict[str, Any] = {
        "next": next_url,
        "step": "phone",
        "problem": None,
        "sent": None,
        "expired": request.GET.get("expired") == "1" or request.POST.get("expired") == "1",
    }
    phone_form = PhoneForm(request.POST or None)
    code_form = CodeForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "send")
        try:
            if action == "verify":
                code_form = CodeForm(request.POST)
                ctx["step"] = "code"
                if code_form.is_valid():
                    user = services.sms_code_verify(
                        phone=code_form.cleaned_data["phone"], code=code_form.cleaned_data["code"]
                    )
                    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                    redirect = HttpResponseRedirect(next_url or "/")
                    if user.language:
                        redirect.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, max_age=ONE_YEAR)
                    return redirect
                status = 422
            elif phone_form.is_valid():
                result = services.sms_code_send(phone=phone_form.cleaned_data["phone"], ip=client_ip(request))
                ctx["step"] = "code"
                ctx["sent"] = {"phone": mask_phone(result.phone), "resend_after": result.resend_after}
                code_form = CodeForm(initial={"phone": result.phone})
            else:
                status = 422
        except Problem as problem:
            ctx["problem"] = problem_message(problem)
            status = problem.http_status
            if problem.code == "rate_limited" and action == "send":
                # A code may already be on its way: let the person type it.
                try:
                    ctx["step"] = "code"
                    code_form = CodeForm(initial={"phone": normalize_phone(request.POST.get("phone", ""))})
                except InvalidPhone:
                    ctx["step"] = "phone"
    wait = (ctx["sent"] or {}).get("resend_after") or (ctx["problem"] or {}).get("retry_after") or 0
    ctx.update(phone_form=phone_form, code_form=code_form, resend_wait=wait)
    response = render(request, "core/login.html", ctx, status=status)
    if ctx["problem"] and ctx["problem"]["retry_after"]:
        response["Retry-After"] = str(ctx["problem"]["retry_after"])
    return response


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return HttpResponseRedirect(safe_next(request, "/"))


@login_required
@require_http_methods(["GET", "POST"])
def me_view(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    problem = None
    saved = False
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                services.user_update(
                    user=user,  # type: ignore[arg-type]
                    display_name=form.cleaned_data["display_name"],
                    language=form.cleaned_data["language"],
                    birth_year=form.cleaned_data["birth_year"],
                )
                # Sent here by a page that needed a detail (the elders' activity asks for the birth year): back to it.
                back = safe_next(request, "")
                response = HttpResponseRedirect(back or request.path + "?saved=1")
                lang = form.cleaned_data["language"]
                if lang:
                    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, lang, max_age=ONE_YEAR)
                else:
                    response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
                return response
            except Problem as exc:
                problem = problem_message(exc)
                for err in exc.errors:
                    if err.get("field") in form.fields:
                        form.add_error(err["field"], str(err.get("message", "")))
    else:
        form = ProfileForm(
            initial={
                "display_name": user.display_name,  # type: ignore[union-attr]
                "language": user.language,  # type: ignore[union-attr]
                "birth_year": user.birth_year or "",  # type: ignore[union-attr]
            }
        )
        saved = request.GET.get("saved") == "1"
    ctx = {
        "next": safe_next(request, ""),
        "me_fragments": ME_PANEL.urls(user=user),
        "form": form,
        "problem": problem,
        "saved": saved,
        "masked_phone": mask_phone(user.phone),  # type: ignore[union-attr]
        "roles": selectors.user_role_list(user),
        "personal_links": workbench.personal_links(),
        "role_links": workbench.role_links(user),
        "report_street": workbench.report_street(user),
    }
    return render(request, "core/me.html", ctx, status=422 if request.method == "POST" else 200)


@require_POST
def elder_toggle_view(request: HttpRequest) -> HttpResponse:
    value = request.POST.get("elder")
    if value not in ("1", "0"):
        value = "0" if getattr(request, "elder_mode", False) else "1"
    on = value == "1"
    if request.user.is_authenticated:
        services.user_update(user=request.user, elder_mode=on)  # type: ignore[arg-type]
    response = HttpResponseRedirect(safe_next(request, "/"))
    response.set_cookie(ELDER_COOKIE, value, max_age=ONE_YEAR, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent with a token that no longer matches: the session expired (a new browser session) or a sign-in
    elsewhere rotated it. Never Django's bare 403 page: the fields sent are kept for the page the form was on
    (`linli.core.resume`), and the person goes back to it, through the sign-in page when signed out, where the
    form is filled again to be checked and sent."""
    page = _same_site_referer(request) or request.path
    stash(request, urlsplit(page).path)
    target = page if request.user.is_authenticated else f"{settings.LOGIN_URL}?next={quote(page)}&expired=1"
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=403)
        response["HX-Redirect"] = target
        return response
    return HttpResponseRedirect(target)


def _same_site_referer(request: HttpRequest) -> str:
    """The path of the page the form was on, when the browser says and it is this site's."""
    referer = request.headers.get("Referer", "")
    if not referer or not url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}):
        return ""
    parts = urlsplit(referer)
    if parts.path.startswith(str(settings.LOGIN_URL)):
        return ""
    return parts.path + (f"?{parts.query}" if parts.query else "")
