"""Care staff pages: the responder console (live calls on a map with the person's card), a call's page (acknowledge,
on the way, arrived, actions, outcome), the hotline intake form, the register (masked list, CSV, an entry's page
with its whole timeline: every view audit-logged), the social worker's day, the visit record (mobile: photos,
signature), the care lead's page (on-time rates, chart, rota).

Thin views over `linli.care.selectors` and services. Everything works without JavaScript (plain forms);
console.js adds the live rows, the map and the sound."""

from __future__ import annotations

from datetime import time
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from linli.care import selectors
from linli.care.models import (
    Alert,
    CallAction,
    CallKind,
    CallSource,
    CallStatus,
    CheckInSource,
    ContactKind,
    Correction,
    FollowUp,
    Group,
    Share,
    VisitRequest,
)
from linli.care.services import calls as call_services
from linli.care.services import checks, followups, register, rota, visits
from linli.care.services.push import call_summary
from linli.core.auth import request_user
from linli.core.charts import bar_chart
from linli.core.db import replica_reads
from linli.core.downloads import CSV_TYPE, attachment_response
from linli.core.errors import Problem
from linli.core.i18n import choice_label
from linli.core.local_time import WEEKDAYS, day_names
from linli.core.models import Committee, Compound, Street, User
from linli.core.pages import login_redirect, problem_message, staff_street_choice
from linli.core.spreadsheets import csv_bytes
from linli.places import gazetteer


def weekday_names() -> list[str]:
    """Monday first, in the request's language."""
    names = day_names()
    return [str(names[code]) for code in WEEKDAYS]


def _forbidden(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return render(request, "care/forbidden.html", {}, status=403)


def _street(
    request: HttpRequest, roles: Any = selectors.CARE_ROLES
) -> tuple[Street | None, list[Street], HttpResponse | None]:
    return staff_street_choice(request, lambda user: selectors.care_streets(user, roles=roles), _forbidden)


def _base(street: Street, streets: list[Street], tab: str) -> dict[str, Any]:
    return {"street": street, "streets": streets, "tab": tab}


# ---------------------------------------------------------------------------------------------- console


@require_GET
def console(request: HttpRequest) -> HttpResponse:
    street, streets, denied = _street(request)
    if denied:
        return denied
    assert street is not None
    user = request_user(request)
    live = list(selectors.calls_open(street=street))
    open_calls = [call_summary(c) for c in live]
    for c in live:
        if c.person is not None:
            register.person_view(actor=user, person=c.person, what="console")
    on_duty = rota.on_duty(committee_ids=list(Committee.objects.filter(street=street).values_list("pk", flat=True)))
    me_on_duty = any(u.pk == user.pk for users in on_duty.values() for u in users)
    config = {
        "ws": f"/ws/care/{street.code}/",
        "street": street.code,
        "center": [street.center_lat, street.center_lng] if street.center_lat else None,
        # The map needs no tile server: the street's outlines are drawn; tiles only where the street set a server.
        "tileUrl": settings.LINLI_MAP_TILE_URL,
        "attribution": settings.LINLI_MAP_TILE_ATTRIBUTION,
        "outlines": gazetteer.outlines(street),
        "pins": [
            {k: c.get(k) for k in ("id", "lat", "lng", "kind", "status", "address")}
            for c in open_calls
            if c.get("lat") is not None
        ],
        "move_url": "/api/v1/care/calls/{id}/moves",
        "call_url": reverse("care:call", args=[0]).replace("/0/", "/{id}/"),
    }
    ctx = _base(street, streets, "console") | {"calls": open_calls, "config": config, "me_on_duty": me_on_duty,
                                               "actions": CallAction.choices}  # fmt: skip
    return render(request, "care/console.html", ctx)


@require_http_methods(["GET", "POST"])
def call_page(request: HttpRequest, call_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return login_redirect(request)
    user = request_user(request)
    try:
        call = selectors.call_for_staff(user=user, call_id=call_id)
    except Problem:
        return _forbidden(request)
    problem = None
    if request.method == "POST":
        move = request.POST.get("move", "")
        try:
            if move == "acknowledge":
                call_services.call_acknowledge(call=call, actor=user)
            elif move == "on_the_way":
                call_services.call_on_the_way(call=call, actor=user)
            elif move == "arrive":
                call_services.call_arrive(call=call, actor=user)
            elif move == "actions":
                call_services.call_actions_add(call=call, actor=user, actions=request.POST.getlist("actions"),
                                               note=request.POST.get("note", ""))  # fmt: skip
            elif move == "close":
                call_services.call_close(call=call, actor=user, outcome=request.POST.get("outcome", ""))
            return HttpResponseRedirect(reverse("care:call", args=[call.pk]))
        except Problem as exc:
            problem = problem_message(exc)
    if call.person is not None:
        register.person_view(actor=user, person=call.person, what="call")
    ctx = {
        "call": call,
        "summary": call_summary(call),
        "events": call.events.select_related("actor"),
        "problem": problem,
        "actions": CallAction.choices,
        "street": call.street,
        "tab": "console",
    }
    return render(request, "care/call.html", ctx)


@require_http_methods(["GET", "POST"])
def hotline(request: HttpRequest) -> HttpResponse:
    street, streets, denied = _street(request)
    if denied:
        return denied
    assert street is not None
    user = request_user(request)
    problem = None
    if request.method == "POST":
        try:
            person = None
            committee = None
            pid = request.POST.get("person", "")
            if pid.isdigit():
                person = selectors.person_for_staff(user=user, person_id=int(pid))
            else:
                committee = Committee.objects.filter(street=street, pk=request.POST.get("committee") or 0).first()
            call = call_services.call_create(
                kind=request.POST.get("kind", CallKind.HELP), source=CallSource.HOTLINE, person=person,
                committee=committee, actor=user, caller_phone=request.POST.get("caller_phone", ""),
                address_given=request.POST.get("address_given", ""), note=request.POST.get("note", ""),
            )  # fmt: skip
            return HttpResponseRedirect(reverse("care:call", args=[call.pk]))
        except Problem as exc:
            problem = problem_message(exc)
    people_list = list(selectors.person_list(street=street))
    register.register_list_audit(actor=user, street=street, count=len(people_list))
    ctx = _base(street, streets, "hotline") | {
        "people": people_list,
        "committees": Committee.objects.filter(street=street),
        "kinds": CallKind.choices,
        "problem": problem,
    }
    return render(request, "care/hotline.html", ctx)


# ---------------------------------------------------------------------------------------------- register


@require_GET
def people(request: HttpRequest) -> HttpResponse:
    street, streets, denied = _street(request)
    if denied:
        return denied
    assert street is not None
    user = request_user(request)
    q = (request.GET.get("q") or "").strip()[:50]
    rows = [selectors.person_row(p) for p in selectors.person_list(street=street, q=q)]
    for row in rows:
        row["group_labels"] = [choice_label(Group, g) for g in row["groups"]]
    register.register_list_audit(actor=user, street=street, count=len(rows))
    corrections = Correction.objects.filter(person__street=street, status="open").select_related("person")
    ctx = _base(street, streets, "people") | {"rows": rows, "q": q, "corrections": corrections}
    return render(request, "care/people.html", ctx)


@require_GET
@replica_reads()  # an export/report: may read a replica (linli.core.db)
def people_csv(request: HttpRequest) -> HttpResponse:
    street, _streets, denied = _street(request)
    if denied:
        return denied
    assert street is not None
    user = request_user(request)
    rows = [selectors.person_row(p) for p in selectors.person_list(street=street)]
    register.register_export_audit(actor=user, street=street, count=len(rows))
    body = csv_bytes(
        header=["编号", "姓名", "居委", "地址", "手机号", "身份证号", "类别", "每日报平安"],
        rows=[
            [r["id"], r["name"], r["committee"], r["address"], r["phone"], r["id_number"],
             "、".join(str(choice_label(Group, g)) for g in r["groups"]), f"{r['checkin_hour']}:00" if r["checkin_enabled"] else ""]
            for r in rows
        ],
    )  # fmt: skip
    return attachment_response(body, content_type=CSV_TYPE, ascii_name=f"care-register-{street.code}.csv",
                               name=f"关爱名册-{street.name}.csv")  # fmt: skip


@require_http_methods(["GET", "POST"])
def person_page(request: HttpRequest, person_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return login_redirect(request)
    user = request_user(request)
    try:
        person = selectors.person_for_staff(user=user, person_id=person_id)
    except Problem:
        return _forbidden(request)
    problem = None
    if request.method == "POST":
        try:
            action = request.POST.get("action")
            if action == "correction":
                correction = Correction.objects.get(pk=request.POST.get("correction") or 0, person=person)
                register.correction_answer(actor=user, correction=correction, done=request.POST.get("done") == "1",
                                           answer=request.POST.get("answer", ""))  # fmt: skip
            elif action == "checkin":
                checks.checkin_record(person=person, source=CheckInSource.VISIT, by=user)
            elif action == "visit":
                visits.visit_request_create(person=person, what=request.POST.get("what", ""), requested_by=user)
            elif action == "update":
                register.person_update(actor=user, person=person, health_notes=request.POST.get("health_notes", ""))
            return HttpResponseRedirect(reverse("care:person", args=[person.pk]))
        except (Problem, Correction.DoesNotExist) as exc:
            problem = problem_message(exc) if isinstance(exc, Problem) else None
    register.person_view(actor=user, person=person)
    consent = person.consents.filter(withdrawn_at__isnull=True).first()
    ctx = {
        "person": person,
        "street": person.street,
        "tab": "people",
        "row": selectors.person_row(person),
        "groups": [choice_label(Group, g) for g in person.groups],
        "contacts": person.contacts.all(),
        "consent": consent,
        "shares": [choice_label(Share, s) for s in (consent.shares if consent else [])],
        "timeline": selectors.person_timeline(person),
        "corrections": person.corrections.filter(status="open"),
        "problem": problem,
    }
    return render(request, "care/person.html", ctx)


@require_http_methods(["GET", "POST"])
def person_new(request: HttpRequest) -> HttpResponse:
    street, streets, denied = _street(request)
    if denied:
        return denied
    assert street is not None
    user = request_user(request)
    problem = None
    if request.method == "POST":
        p = request.POST
        try:
            committee = Committee.objects.filter(street=street, pk=p.get("committee") or 0).first()
            if committee is None:
                raise Problem("validation_error", detail=_("请选择居委"))
            compound = Compound.objects.filter(street=street, pk=p.get("compound") or 0).first()
            contacts = [
                {"kind": kind, "name": p.get(f"{kind}_name", ""), "phone": p.get(f"{kind}_phone", ""),
                 "relation": p.get(f"{kind}_relation", "")}
                for kind in ContactKind.values if p.get(f"{kind}_phone")
            ]  # fmt: skip
            hour = p.get("checkin_hour", "")
            person = register.person_register(
                actor=user, committee=committee, compound=compound, name=p.get("name", ""),
                groups=p.getlist("groups"), consent_by=p.get("consent_by", ""),
                consent_relation=p.get("consent_relation", "本人"), shares=p.getlist("shares"),
                building=p.get("building", ""), phone=p.get("phone", ""), id_number=p.get("id_number", ""),
                health_notes=p.get("health_notes", ""), checkin_hour=int(hour) if hour.isdigit() else None,
                contacts=contacts,
            )  # fmt: skip
            return HttpResponseRedirect(reverse("care:person", args=[person.pk]))
        except Problem as exc:
            problem = problem_message(exc)
    ctx = _base(street, streets, "people") | {
        "committees": Committee.objects.filter(street=street),
        "compounds": Compound.objects.filter(street=street),
        "group_choices": Group.choices,
        "share_choices": Share.choices,
        "contact_kinds": ContactKind.choices,
        "problem": problem,
        "form": request.POST,
    }
    return render(request, "care/person_new.html", ctx)


# --------------------------------------------------------------------------------------- social worker


@require_http_methods(["GET", "POST"])
def day(request: HttpRequest) -> HttpResponse:
    street, streets, denied = _street(request)
    if denied:
        return denied
    assert street is not None
    user = request_user(request)
    problem = None
    if request.method == "POST":
        try:
            if request.POST.get("followup"):
                f = FollowUp.objects.get(pk=request.POST["followup"], person__street=street)
                followups.followup_done(followup=f, actor=user, note=request.POST.get("note", ""))
            elif request.POST.get("alert"):
                a = Alert.objects.select_related("person").get(pk=request.POST["alert"], person__street=street)
                checks.alert_resolve(alert=a, actor=user, note=request.POST.get("note", "") or _("电话确认平安"))
            return HttpResponseRedirect(f"{reverse('care:day')}?street={street.code}")
        except (Problem, FollowUp.DoesNotExist, Alert.DoesNotExist) as exc:
            problem = problem_message(exc) if isinstance(exc, Problem) else None
    now = timezone.now()
    tasks = list(selectors.followups_for(user=user, street=street))
    visits_open = list(selectors.visits_open(street=street))
    alerts = list(selectors.alerts_open(street=street))
    register.register_list_audit(actor=user, street=street, count=len(tasks) + len(visits_open) + len(alerts))
    ctx = _base(street, streets, "day") | {
        "followups": tasks,
        "overdue": [f for f in tasks if f.due_at < now],
        "visits": visits_open,
        "alerts": alerts,
        "now": now,
        "problem": problem,
    }
    return render(request, "care/day.html", ctx)


@require_http_methods(["GET", "POST"])
def visit_page(request: HttpRequest, visit_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return login_redirect(request)
    user = request_user(request)
    visit = VisitRequest.objects.select_related("person", "person__compound", "street").filter(pk=visit_id).first()
    if visit is None or not selectors.is_care_staff(user, street=visit.street):
        return _forbidden(request)
    problem = None
    if request.method == "POST":
        try:
            if request.POST.get("action") == "arrive":
                visits.visit_arrive(visit=visit, actor=user)
            else:
                photos = visits.photos_process(request.FILES.getlist("photos"))
                signature = visits.signature_decode(request.POST.get("signature", ""))
                visits.visit_record(visit=visit, actor=user, done_text=request.POST.get("done_text", ""),
                                    follow_up=request.POST.get("outcome") == "follow_up", photos=photos,
                                    signature_png=signature)  # fmt: skip
            return HttpResponseRedirect(reverse("care:visit", args=[visit.pk]))
        except Problem as exc:
            problem = problem_message(exc)
    register.person_view(actor=user, person=visit.person, what="visit")
    ctx = {"visit": visit, "street": visit.street, "tab": "day", "problem": problem,
           "events": visit.events.select_related("actor"), "photos": visit.photos.all()}  # fmt: skip
    return render(request, "care/visit.html", ctx)


# ------------------------------------------------------------------------------------------ care lead


@require_http_methods(["GET", "POST"])
def lead(request: HttpRequest) -> HttpResponse:
    street, streets, denied = _street(request, roles=selectors.LEAD_ROLES)
    if denied:
        return denied
    assert street is not None
    user = request_user(request)
    problem = None
    if request.method == "POST":
        try:
            p = request.POST
            if p.get("remove"):
                shift = selectors.shifts(street=street).get(pk=p["remove"])
                rota.shift_remove(actor=user, shift=shift)
            else:
                committee = Committee.objects.get(street=street, pk=p.get("committee") or 0)
                worker = User.objects.get(
                    pk=p.get("user") or 0, roles__street=street, roles__role__in=selectors.CARE_ROLES
                )
                rota.shift_add(actor=user, committee=committee, user=worker, weekday=int(p.get("weekday") or 0),
                               start=time.fromisoformat(p.get("start") or "08:00"),
                               end=time.fromisoformat(p.get("end") or "20:00"))  # fmt: skip
            return HttpResponseRedirect(f"{reverse('care:lead')}?street={street.code}")
        except (Problem, ValueError, Committee.DoesNotExist, User.DoesNotExist) as exc:
            problem = problem_message(exc) if isinstance(exc, Problem) else {"detail": _("输入有误，请检查后重试")}
    rates = selectors.lead_rates(street=street)
    by_day = selectors.checkins_by_day(street=street)
    chart = bar_chart(
        title=_("近7天报平安"),
        labels=[d for d, _n, _m in by_day],
        series=[(_("报平安"), [n for _d, n, _m in by_day]), (_("未报平安"), [m for _d, _n, m in by_day])],
    )
    calls = list(selectors.calls_recent(street=street)[:50])
    for c in calls:
        c.ack_seconds = int((c.acknowledged_at - c.created_at).total_seconds()) if c.acknowledged_at else None  # type: ignore[attr-defined]
    weekdays = weekday_names()
    shifts = list(selectors.shifts(street=street))
    for s in shifts:
        s.weekday_name = weekdays[s.weekday]  # type: ignore[attr-defined]
    staff = User.objects.filter(roles__street=street, roles__role__in=selectors.CARE_ROLES).distinct()
    ctx = _base(street, streets, "lead") | {
        "rates": rates,
        "chart": chart,
        "calls": calls,
        "shifts": shifts,
        "weekdays": list(enumerate(weekdays)),
        "committees": Committee.objects.filter(street=street),
        "staff": staff,
        "register_count": selectors.person_list(street=street).count(),
        "problem": problem,
        "open_status": [CallStatus.NEW, CallStatus.ESCALATED],
    }
    return render(request, "care/lead.html", ctx)


urlpatterns = [
    path("staff/care/", console, name="console"),
    path("staff/care/calls/<int:call_id>/", call_page, name="call"),
    path("staff/care/hotline/", hotline, name="hotline"),
    path("staff/care/people/", people, name="people"),
    path("staff/care/people.csv", people_csv, name="people_csv"),
    path("staff/care/people/new/", person_new, name="person_new"),
    path("staff/care/people/<int:person_id>/", person_page, name="person"),
    path("staff/care/day/", day, name="day"),
    path("staff/care/visits/<int:visit_id>/", visit_page, name="visit"),
    path("staff/care/lead/", lead, name="lead"),
]
