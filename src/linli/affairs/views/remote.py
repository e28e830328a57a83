"""Remote video windows (远程帮办): the remote point's console (its remote appointments today, "call a window"),
the call page both sides use, a window answering, hanging up.

The call page needs the camera and the microphone: it sends its own Permissions-Policy allowing both for this
origin (the site's default leaves the microphone off), and browsers give them only to a secure context — HTTPS,
or http://localhost / 127.0.0.1 (docs/affairs-window.md).
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from linli.affairs import selectors_queue as q
from linli.affairs.models import Appointment, AppointmentStatus, Counter, Material, RemoteSessionStatus
from linli.affairs.services import remote as remote_services
from linli.affairs.services.queue import CLERK_ROLES, HEAD_ROLES
from linli.core.auth import request_user
from linli.core.errors import Problem, problem_response
from linli.core.pages import login_redirect, problem_message
from linli.core.selectors import user_has_role
from linli.core.services import audit_log

MEDIA_POLICY = "geolocation=(self), camera=(self), microphone=(self), display-capture=(self)"


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "403.html", status=403)


@require_http_methods(["GET", "POST"])
def console(request: HttpRequest) -> HttpResponse:
    """The remote point's console: pick the point, see today's remote appointments there, call a window."""
    if not request.user.is_authenticated:
        return login_redirect(request)
    user = request_user(request)
    points = list(q.remote_points_for(user))
    if not points:
        return _forbidden(request)
    wanted = request.POST.get("point") or request.GET.get("point", "")
    point = next((p for p in points if str(p.pk) == wanted), points[0])
    ctx: dict[str, Any] = {"points": points, "point": point, "street": point.street}
    status = 200
    if request.method == "POST":
        appointment_id = request.POST.get("appointment", "")
        appointment = (
            Appointment.objects.filter(pk=int(appointment_id), resource=point).first()
            if appointment_id.isdigit()
            else None
        )
        try:
            session = remote_services.remote_session_open(resource=point, actor=user, appointment=appointment)
        except Problem as problem:
            ctx["problem"] = problem_message(problem)
            status = problem.http_status
        else:
            return HttpResponseRedirect(reverse("affairs:remote_call", args=[session.pk]))
    today = timezone.localdate()
    ctx["appointments"] = (
        Appointment.objects.filter(
            resource=point,
            start__date=today,
            status__in=(AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN),
        )
        .select_related("item", "user")
        .order_by("start")
    )
    ctx["sessions"] = (
        point.remote_sessions.filter(created_at__date=today).select_related("clerk").order_by("-created_at")[:10]
    )
    ctx["recording"] = remote_services.remote_policy_for(point.street)
    return render(request, "affairs/remote_console.html", ctx, status=status)


def call(request: HttpRequest, session_id: int) -> HttpResponse:
    """The call page of either side: the remote point (who opened it) or the clerk (who answered)."""
    if not request.user.is_authenticated:
        return login_redirect(request)
    session = q.remote_session_get(session_id)
    if session is None:
        raise Http404
    side = remote_services.remote_side_of(session, request_user(request))
    if not side:
        return _forbidden(request)
    item = session.appointment.item if session.appointment else None
    policy = remote_services.remote_policy_for(session.street)
    config = {
        "side": side,
        "ws": f"/ws/affairs/remote/{session.room}/",
        "ice_servers": remote_services.ice_servers(),
        "session": session.pk,
        "live": session.status in (RemoteSessionStatus.WAITING, RemoteSessionStatus.ACTIVE),
        "record": session.recording and side == "clerk",
        "recording_url": reverse("affairs:remote_recording", args=[session.pk]),
    }
    response = render(
        request,
        "affairs/remote_call.html",
        {
            "session": session,
            "side": side,
            "street": session.street,
            "item": item,
            "materials": Material.objects.filter(item=item).order_by("position", "pk") if item else [],
            "config": config,
            "recording_notice": policy.recording_notice if session.recording else "",
        },
    )
    response["Permissions-Policy"] = MEDIA_POLICY
    return response


@require_POST
def answer(request: HttpRequest, session_id: int) -> HttpResponse:
    """A window takes a remote point's call."""
    if not request.user.is_authenticated:
        return login_redirect(request)
    user = request_user(request)
    session = q.remote_session_get(session_id)
    if session is None:
        raise Http404
    if not user_has_role(user, street=session.street, roles=CLERK_ROLES):
        return _forbidden(request)
    counter_id = request.POST.get("counter", "")
    counter = (
        Counter.objects.filter(pk=int(counter_id), street=session.street).first() if counter_id.isdigit() else None
    )
    try:
        remote_services.remote_session_answer(session=session, clerk=user, counter=counter)
    except Problem as problem:
        return render(
            request,
            "affairs/remote_call.html",
            {"session": session, "side": "", "street": session.street, "problem": problem_message(problem)},
            status=problem.http_status,
        )
    return HttpResponseRedirect(reverse("affairs:remote_call", args=[session.pk]))


@require_POST
def end(request: HttpRequest, session_id: int) -> HttpResponse:
    """Hang up (either side)."""
    if not request.user.is_authenticated:
        return login_redirect(request)
    user = request_user(request)
    session = q.remote_session_get(session_id)
    if session is None:
        raise Http404
    side = remote_services.remote_side_of(session, user)
    if not side:
        return _forbidden(request)
    remote_services.remote_session_end(session=session, actor=user, reason=f"{side}-hangup")
    if side == "clerk":
        counter = session.counter
        return HttpResponseRedirect(f"{reverse('affairs:window')}{f'?counter={counter.pk}' if counter else ''}")
    return HttpResponseRedirect(f"{reverse('affairs:remote_console')}?point={session.resource_id}")


@csrf_protect
def recording(request: HttpRequest, session_id: int) -> HttpResponse | FileResponse:
    """POST: the clerk's browser uploads the next chunk of the recording (`?seq=`, the raw WebM bytes).
    GET: the recording, for the street's administrators only (audit-logged)."""
    if not request.user.is_authenticated:
        return login_redirect(request)
    user = request_user(request)
    session = q.remote_session_get(session_id)
    if session is None:
        raise Http404
    if request.method == "POST":
        seq = request.GET.get("seq", "")
        try:
            stored = remote_services.remote_recording_append(
                session=session, actor=user, seq=int(seq) if seq.isdigit() else -1, chunk=request.body
            )
        except Problem as problem:
            return problem_response(request, problem)
        return JsonResponse({"bytes": stored})
    if request.method != "GET":
        return problem_response(request, Problem("method_not_allowed"))
    if not user_has_role(user, street=session.street, roles=HEAD_ROLES) or not session.recording_file:
        raise Http404
    audit_log(actor=user, action="affairs.recording_view", street=session.street, obj=session)
    response = FileResponse(session.recording_file.open("rb"), content_type="video/webm")
    response["Content-Disposition"] = f'attachment; filename="remote-{session.pk}.webm"'
    response["Cache-Control"] = "private, no-store"
    return response
