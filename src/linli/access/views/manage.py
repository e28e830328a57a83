"""Property managers' and street staff's pages: my compounds, a compound (its gates, registering a gate, the
access policy, its managers), a gate (changes, new device secret, the display link), the gate display screen, the
rider credentials page and the access log with alerts.

Thin views over linli.access.selectors and services; plain forms (POST), every `Problem` shown as a message.
A new device secret is shown in the answer to the POST that made it, once, and never stored.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from linli.access import selectors
from linli.access.api import credential_out, photo_url, taps_csv_response
from linli.access.models import Gate, RiderCredential, Transport
from linli.access.schemas import TapFilters
from linli.access.services import gates as gate_services
from linli.access.services import policy as policy_services
from linli.access.services import riders as rider_services
from linli.access.services.alerts import gates_offline, in_lunch_peak
from linli.core.errors import Problem
from linli.core.models import User
from linli.core.pages import problem_message
from linli.core.phones import InvalidPhone, mask_phone, normalize_phone
from linli.core.selectors import user_street_ids


def _login(request: HttpRequest) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"/login/?next={quote(request.get_full_path())}")


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "access/forbidden.html", {}, status=403)


def _is_admin_of(user: Any, street_id: int) -> bool:
    return bool(user.is_superuser or street_id in user_street_ids(user, roles=selectors.STREET_MANAGE_ROLES))


# ---------------------------------------------------------------------------------------------- my compounds


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login(request)
    user = request.user
    compounds = list(selectors.compound_list_for_manager(user))
    can_audit = selectors.audit_scope(user) is not None
    rider_streets = selectors.rider_staff_streets(user)
    if not compounds and not can_audit and not rider_streets:
        return _forbidden(request)
    now = timezone.now()
    gates: dict[int, list[dict[str, Any]]] = {}
    for gate in selectors.gate_list([c.pk for c in compounds]):
        gates.setdefault(gate.compound_id, []).append({"gate": gate, "online": gate_services.gate_online(gate, now)})
    rows = [{"compound": c, "gates": gates.get(c.pk, [])} for c in compounds]
    ctx = {"rows": rows, "can_audit": can_audit, "rider_streets": rider_streets}
    return render(request, "access/home.html", ctx)


# ------------------------------------------------------------------------------------------------ a compound


@require_http_methods(["GET", "POST"])
def compound_page(request: HttpRequest, compound_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login(request)
    user: Any = request.user
    try:
        compound = selectors.compound_for_manager(user=user, compound_id=compound_id)
    except Problem as exc:
        raise Http404(str(compound_id)) from exc
    problem, new_gate, saved, status = None, None, "", 200
    is_admin = _is_admin_of(user, compound.street_id)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "add_gate":
                new_gate = gate_services.gate_create(
                    compound=compound,
                    name=request.POST.get("name", ""),
                    device_id=request.POST.get("device_id", ""),
                    transport=request.POST.get("transport", Transport.MQTT),
                    actor=user,
                )
                status = 201
            elif action == "policy":
                max_text = (request.POST.get("max_per_hour") or "").strip()
                policy_services.policy_set(
                    compound=compound,
                    actor=user,
                    riders_allowed=request.POST.get("riders_allowed") == "1",
                    hours=request.POST.get("hours", ""),
                    partners=request.POST.getlist("partners"),
                    other_streets=request.POST.get("other_streets") == "1",
                    max_per_hour=int(max_text) if max_text.isdigit() and int(max_text) > 0 else None,
                )
                saved = "policy"
            elif action in ("add_manager", "remove_manager") and is_admin:
                manager = User.objects.filter(phone=normalize_phone(request.POST.get("phone", ""))).first()
                if action == "add_manager":
                    if manager is None:
                        raise Problem("not_found", detail=_("没有这个手机号的用户"))
                    gate_services.compound_manager_add(compound=compound, user=manager, actor=user)
                elif manager is not None:
                    gate_services.compound_manager_remove(compound=compound, user=manager, actor=user)
                saved = "managers"
            else:
                raise Problem("validation_error")
        except InvalidPhone:
            problem, status = problem_message(Problem("invalid_phone")), 422
        except Problem as exc:
            problem, status = problem_message(exc), exc.http_status
    policy = policy_services.policy_get(compound=compound)
    now = timezone.now()
    ctx = {
        "compound": compound,
        "gates": [{"gate": g, "online": gate_services.gate_online(g, now)} for g in selectors.gate_list([compound.pk])],
        "policy": policy_services.policy_dict(policy),
        "partners": list(selectors.partner_list(compound.street)),
        "problem": problem,
        "new_gate": new_gate,
        "saved": saved,
        "is_admin": is_admin,
        "managers": [
            mask_phone(m.user.phone) + f" {m.user.display_name}" for m in compound.managers.select_related("user")
        ],
        "transports": Transport.choices,
    }
    return render(request, "access/compound.html", ctx, status=status)


# --------------------------------------------------------------------------------------------------- a gate


@require_http_methods(["GET", "POST"])
def gate_page(request: HttpRequest, public_id: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login(request)
    user: Any = request.user
    try:
        gate = selectors.gate_for_manager(user=user, public_id=public_id)
    except Problem as exc:
        raise Http404(public_id) from exc
    problem, secret, status, saved = None, None, 200, ""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "update":
                gate_services.gate_update(
                    gate=gate,
                    actor=user,
                    name=request.POST.get("name", gate.name),
                    device_id=request.POST.get("device_id", gate.device_id),
                    transport=request.POST.get("transport", gate.transport),
                    active=request.POST.get("active") == "1",
                )
                saved = "gate"
            elif action == "rekey":
                secret = gate_services.gate_rekey(gate=gate, actor=user)
            elif action == "display_new":
                gate_services.gate_display_link_create(gate=gate, actor=user)
                saved = "display"
            elif action == "display_revoke":
                gate_services.gate_display_link_revoke(gate=gate, actor=user)
                saved = "display"
            else:
                raise Problem("validation_error")
        except Problem as exc:
            problem, status = problem_message(exc), exc.http_status
    display_url = (
        gate_services.site_url().rstrip("/") + reverse("access:display_public", args=[gate.display_key])
        if gate.display_key
        else ""
    )
    recent = [selectors.tap_row(t) for t in selectors.tap_search(user=user, gate=gate.public_id)[:20]]
    ctx = {
        "gate": gate,
        "online": gate_services.gate_online(gate),
        "problem": problem,
        "secret": secret,
        "saved": saved,
        "display_url": display_url,
        "transports": Transport.choices,
        "recent": recent,
    }
    return render(request, "access/gate.html", ctx, status=status)


def _display(request: HttpRequest, gate: Gate, qr_endpoint: str) -> HttpResponse:
    ctx = {"gate": gate, "qr": gate_services.gate_qr(gate), "qr_endpoint": qr_endpoint}
    response = render(request, "access/display.html", ctx)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
def display_manager(request: HttpRequest, public_id: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login(request)
    try:
        gate = selectors.gate_for_manager(user=request.user, public_id=public_id)
    except Problem as exc:
        raise Http404(public_id) from exc
    return _display(request, gate, reverse("api-v1:gate_qr", args=[gate.public_id]))


@require_GET
def display_public(request: HttpRequest, key: str) -> HttpResponse:
    """The screen at the gate opens this without signing in; the key is long and random, and revocable."""
    gate = (
        Gate.objects.select_related("compound").filter(display_key=key, active=True).first() if len(key) >= 40 else None
    )
    if gate is None:
        raise Http404("display")
    return _display(request, gate, reverse("api-v1:display_qr", args=[key]))


# ------------------------------------------------------------------------------------------------ riders


@require_http_methods(["GET", "POST"])
def riders_page(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login(request)
    user: Any = request.user
    streets = selectors.rider_staff_streets(user)
    if not streets:
        return _forbidden(request)
    code = request.GET.get("street") or request.POST.get("street")
    street = next((s for s in streets if s.code == code), None) if code else streets[0]
    if street is None:
        return _forbidden(request)
    problem, done, status = None, "", 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "verify":
                days_text = request.POST.get("days") or str(rider_services.DEFAULT_DAYS)
                rider_services.rider_verify(
                    street=street,
                    phone=request.POST.get("phone", ""),
                    partner=request.POST.get("partner", ""),
                    real_name=request.POST.get("name", ""),
                    days=int(days_text) if days_text.isdigit() else 0,
                    actor=user,
                )
                done = "verified"
            elif action in ("suspend", "revoke", "reinstate", "photo"):
                credential = (
                    RiderCredential.objects.select_related("user", "street")
                    .filter(pk=request.POST.get("credential") or 0, street=street)
                    .first()
                )
                if credential is None:
                    raise Problem("not_found")
                if action == "photo":
                    upload = request.FILES.get("photo")
                    if upload is None:
                        raise Problem("photo_invalid", detail=_("请选择照片"))
                    rider_services.rider_photo_set(credential=credential, upload=upload, actor=user)
                else:
                    move = {
                        "suspend": rider_services.rider_suspend,
                        "revoke": rider_services.rider_revoke,
                        "reinstate": rider_services.rider_reinstate,
                    }[action]
                    move(credential=credential, actor=user)
                done = action
            else:
                raise Problem("validation_error")
        except Problem as exc:
            problem, status = problem_message(exc), exc.http_status
    rows = []
    for c in selectors.credential_list_for_street(street)[:300]:
        row = credential_out(c)
        row.update(photo=photo_url(c), status_label=c.get_status_display(), credential=c)
        rows.append(row)
    ctx = {
        "street": street,
        "streets": streets,
        "rows": rows,
        "partners": list(selectors.partner_list(street)),
        "problem": problem,
        "done": done,
        "default_days": rider_services.DEFAULT_DAYS,
    }
    return render(request, "access/riders.html", ctx, status=status)


# ---------------------------------------------------------------------------------------------------- audit


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@require_http_methods(["GET", "POST"])
def audit_page(request: HttpRequest) -> HttpResponse:
    """The access log with filters and alerts. The filter form posts (a rider's phone number never goes into the
    URL, so never into an access log); "导出 CSV" posts the same filters and answers the file."""
    if not request.user.is_authenticated:
        return _login(request)
    user: Any = request.user
    if selectors.audit_scope(user) is None:
        return _forbidden(request)
    g = request.POST if request.method == "POST" else request.GET
    filters = {
        "phone": (request.POST.get("phone") or "").strip()[:20],  # from a POST body only
        "gate": (g.get("gate") or "").strip()[:20],
        "decision": g.get("decision") if g.get("decision") in ("allow", "deny") else "",
        "reason": g.get("reason") if g.get("reason") in selectors.REASONS else "",
        "date_from": g.get("date_from") if _date(g.get("date_from")) else "",
        "date_to": g.get("date_to") if _date(g.get("date_to")) else "",
    }
    if request.method == "POST" and request.POST.get("export") == "csv":
        return taps_csv_response(
            request,
            TapFilters(
                phone=filters["phone"] or None,
                gate=filters["gate"] or None,
                decision=filters["decision"] or None,
                reason=filters["reason"] or None,
                date_from=_date(filters["date_from"]),
                date_to=_date(filters["date_to"]),
            ),
        )
    qs = selectors.tap_search(
        user=user,
        phone=filters["phone"] or None,
        gate=filters["gate"] or None,
        decision=filters["decision"] or None,
        reason=filters["reason"] or None,
        date_from=_date(filters["date_from"]),
        date_to=_date(filters["date_to"]),
    )
    count = qs.count()
    rows = [selectors.tap_row(t) for t in qs[:200]]
    now = timezone.now()
    scope = selectors.audit_scope(user)
    visible_gates = Gate.objects.filter(scope).select_related("compound").order_by("compound__external_id", "name")
    offline_ids = {g.pk for g in gates_offline(now=now)}
    offline_now = [g for g in visible_gates if g.pk in offline_ids and g.active]
    alerts = list(selectors.alert_list_for_user(user)[:50])
    for alert in alerts:  # the denial reasons in words (the alert's data keeps the codes)
        setattr(alert, "reason_labels", [selectors.reason_label(r) for r in (alert.data or {}).get("reasons", [])])  # noqa: B010
    ctx = {
        "filters": filters,
        "rows": rows,
        "count": count,
        "reasons": [(code, selectors.reason_label(code)) for code in selectors.REASONS],
        "gates": list(visible_gates),
        "alerts": alerts,
        "offline_now": offline_now,
        "lunch_peak": in_lunch_peak(now),
    }
    return render(request, "access/audit.html", ctx)


urlpatterns = [
    path("access/", home, name="home"),
    path("access/compounds/<int:compound_id>/", compound_page, name="compound"),
    path("access/gates/<str:public_id>/", gate_page, name="gate"),
    path("access/gates/<str:public_id>/display/", display_manager, name="display"),
    path("access/display/<str:key>/", display_public, name="display_public"),
    path("access/staff/riders/", riders_page, name="riders"),
    path("access/audit/", audit_page, name="audit"),
]
