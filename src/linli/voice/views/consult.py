"""Staff pages of 日日清约请: the list (with the actions import, all or nothing) and one consultation: invite the
parties (each gets its own signed link to pass on), schedule, record the meeting and its actions, close actions
with evidence, close the consultation. Overdue actions are marked (they escalate to the street by the beat task)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_http_methods

from linli.core.auth import request_user
from linli.core.errors import Problem
from linli.core.models import Committee
from linli.core.pages import problem_message
from linli.places.models import Place
from linli.voice import selectors
from linli.voice.models import ActionItem, ActionStatus, Consultation
from linli.voice.services import consultations as cs
from linli.voice.services import invitations
from linli.voice.services.actions_import import actions_import
from linli.voice.views.staff import _forbidden, _int, _street

MAX_UPLOAD = 2 * 1024 * 1024


@require_http_methods(["GET", "POST"])
def consultation_list(request: HttpRequest) -> HttpResponse:
    street, streets, denied = _street(request)
    if denied:
        return denied
    user = request_user(request)
    problem, imported = None, None
    if request.method == "POST":
        try:
            if request.POST.get("action") == "import":
                upload = request.FILES.get("file")
                if upload is None or (upload.size or 0) > MAX_UPLOAD:
                    raise Problem("import_invalid")
                imported = actions_import(street=street, text=upload.read(), actor=user).created
            else:
                committee = Committee.objects.filter(street=street, pk=_int(request.POST.get("committee", ""))).first()
                if committee is None:
                    raise Problem("not_found")
                c = cs.consultation_create(committee=committee, title=request.POST.get("title", "")[:120],
                                           problem=request.POST.get("problem", "")[:2000],
                                           source=request.POST.get("source", "walk_in")[:16], actor=user)  # fmt: skip
                return HttpResponseRedirect(reverse("voice:consultation", args=[c.pk]))
        except Problem as exc:
            problem = problem_message(exc)
    return render(request, "voice/consultations.html", {
        "street": street, "streets": streets, "tab": "consultations", "problem": problem, "imported": imported,
        "rows": [selectors.consultation_row(c) for c in selectors.consultation_list(street=street)[:200]],
        "committees": Committee.objects.filter(street=street).order_by("external_id"),
    })  # fmt: skip


def _actions(c: Consultation) -> list[dict[str, Any]]:
    today = timezone.localdate()
    return [{"a": a, "overdue": a.status == ActionStatus.OPEN and a.due_on < today} for a in c.actions.all()]


def _parse_actions(text: str) -> list[dict[str, Any]]:
    """One action a line: 事项 | 责任方 | YYYY-MM-DD."""
    out = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.replace("｜", "|").split("|")]
        if any(parts):
            out.append({"title": parts[0], "owner": parts[1] if len(parts) > 1 else "",
                        "due_on": parts[2] if len(parts) > 2 else ""})  # fmt: skip
    return out


@require_http_methods(["GET", "POST"])
def consultation(request: HttpRequest, consultation_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return _forbidden(request)
    user = request_user(request)
    try:
        c = selectors.consultation_for_staff(user=user, consultation_id=consultation_id)
    except Problem:
        return _forbidden(request)
    problem, link = None, request.GET.get("link", "")
    if request.method == "POST":
        action, post = request.POST.get("action", ""), request.POST
        try:
            if action == "invite":
                _inv, token = invitations.invite(consultation=c, party=post.get("party", "")[:100],
                                                 contact_phone=post.get("phone", "")[:20], actor=user)  # fmt: skip
                return HttpResponseRedirect(f"{reverse('voice:consultation', args=[c.pk])}?link={token}")
            if action == "schedule":
                at = parse_datetime(post.get("meeting_at", "")[:40])
                if at is None:
                    raise Problem("validation_error")
                cs.consultation_schedule(consultation=c, meeting_at=timezone.make_aware(at) if timezone.is_naive(at) else at,
                                         venue=post.get("venue", "")[:120], actor=user,
                                         place_id=_int(post.get("place", "")) or None,
                                         seats=_int(post.get("seats", "")) or 30)  # fmt: skip
            elif action == "meeting":
                cs.consultation_meeting(consultation=c, attendees=post.get("attendees", "")[:1000],
                                        decisions=post.get("decisions", "")[:4000],
                                        actions=_parse_actions(post.get("actions", "")[:4000]), actor=user)  # fmt: skip
            elif action == "done":
                item = ActionItem.objects.filter(consultation=c, pk=_int(post.get("item", ""))).first()
                if item is None:
                    raise Problem("not_found")
                cs.action_done(action=item, evidence=post.get("evidence", "")[:500], actor=user)
            elif action == "add":
                try:
                    due = dt.date.fromisoformat(post.get("due_on", ""))
                except ValueError:
                    raise Problem("validation_error") from None
                cs.action_add(consultation=c, title=post.get("title", ""), owner=post.get("owner", ""), due_on=due)
            elif action == "close":
                cs.consultation_close(consultation=c, outcome=post.get("outcome", "")[:2000], actor=user)
            return HttpResponseRedirect(reverse("voice:consultation", args=[c.pk]))
        except Problem as exc:
            problem = problem_message(exc)
            c.refresh_from_db()
    link_url = request.build_absolute_uri(reverse("voice:invitation", args=[link])) if link else ""
    return render(request, "voice/consultation.html", {
        "c": c, "street": c.street, "tab": "consultations", "problem": problem, "link_url": link_url,
        "invitations": c.invitations.all(), "actions": _actions(c), "events": c.events.all(),
        "row": selectors.consultation_row(c),
        "venues": Place.objects.filter(street=c.street, is_active=True).order_by("name")[:300]
        if c.status == "inviting" else [],
    })  # fmt: skip


urlpatterns = [
    path("voice/staff/consultations/", consultation_list, name="consultations"),
    path("voice/staff/consultations/<int:consultation_id>/", consultation, name="consultation"),
]
