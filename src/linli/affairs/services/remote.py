"""Remote video windows (远程帮办): a remote point's browser and a centre window's browser in a WebRTC call.

The media goes peer to peer between the two browsers (no media server, no outside service). The server does two
things: it relays the signalling (SDP offers and answers, ICE candidates) over the project's own WebSocket
(`consumers.RemoteSignalConsumer`, `ws/affairs/remote/<room>/`), and it keeps the log of each session here —
who opened it, who answered, when, for how long, whether the street had recording on.

    waiting → active      a clerk answers (the remote point's request shows on every window's page)
    waiting → cancelled   the remote point hangs up before anyone answered
    active → ended        either side hangs up, or a side's socket closes

ICE servers come from `settings.LINLI_ICE_SERVERS` (JSON, RTCIceServer dicts): none by default, which is right on
one LAN; a TURN server (coturn) where a NAT lies between the remote point and the centre
(docs/affairs-window.md).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.affairs.models import (
    Appointment,
    AppointmentStatus,
    Counter,
    RemotePolicy,
    RemoteSession,
    RemoteSessionEvent,
    RemoteSessionStatus,
    Resource,
    ResourceKind,
)
from linli.affairs.models_queue import RECORDING_RETENTION_MAX_DAYS
from linli.affairs.services.appointment_states import MACHINE as APPOINTMENT_MACHINE
from linli.affairs.services.queue import CLERK_ROLES, HEAD_ROLES
from linli.core.errors import Problem, field_error
from linli.core.i18n import choice_label
from linli.core.models import Street, User
from linli.core.selectors import require_role
from linli.core.services import audit_log
from linli.core.transitions import StateMachine, Step

S = RemoteSessionStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    S.WAITING: frozenset({S.ACTIVE, S.CANCELLED}),
    S.ACTIVE: frozenset({S.ENDED}),
    S.ENDED: frozenset(),
    S.CANCELLED: frozenset(),
}


def invalid_transition(session: RemoteSession, from_status: str, to_status: str) -> Problem:
    return Problem(
        "remote_session_invalid",
        detail=format_lazy(
            _("远程帮办当前为「{status}」，不能改为「{to_status}」"),
            status=choice_label(RemoteSessionStatus, from_status),
            to_status=choice_label(RemoteSessionStatus, to_status),
        ),
        extra={"from_status": from_status, "to_status": to_status},
    )


def _event_row(step: Step[RemoteSession]) -> dict[str, Any]:
    return {
        "session": step.obj.pk,
        "at": step.now,
        "actor": step.actor_id,
        "from_status": step.from_status,
        "to_status": step.to_status,
        "note": step.note[:500],
    }


MACHINE = StateMachine(
    model=RemoteSession,
    table=TRANSITIONS,
    refused=invalid_transition,
    stamps={S.ACTIVE: "answered_at", S.ENDED: "ended_at", S.CANCELLED: "ended_at"},
    event_model=RemoteSessionEvent,
    event_fields=("session", "at", "actor", "from_status", "to_status", "note"),
    event_row=_event_row,
)


def ice_servers() -> list[dict[str, Any]]:
    """The RTCIceServer list the browsers use (settings.LINLI_ICE_SERVERS)."""
    return list(getattr(settings, "LINLI_ICE_SERVERS", []) or [])


def remote_policy_for(street: Street) -> RemotePolicy:
    """The street's remote policy (the default, recording off, unsaved, when it never set one): a read, no write."""
    return RemotePolicy.objects.filter(street=street).first() or RemotePolicy(street=street)


@transaction.atomic
def remote_policy_set(
    *, street: Street, recording_enabled: bool, notice: str, actor: User, retention_days: int | None = None
) -> RemotePolicy:
    require_role(actor, street=street, roles=HEAD_ROLES)
    if retention_days is not None and not 1 <= retention_days <= RECORDING_RETENTION_MAX_DAYS:
        raise Problem(
            "validation_error",
            errors=[
                field_error(
                    "retention_days",
                    format_lazy(_("录像保存天数须在 1 到 {n} 天之间"), n=RECORDING_RETENTION_MAX_DAYS),
                )
            ],
        )
    policy, _created = RemotePolicy.objects.select_for_update().get_or_create(street=street)
    policy.recording_enabled = bool(recording_enabled)
    policy.recording_notice = (notice or "").strip()[:200] or policy.recording_notice
    if retention_days is not None:
        policy.recording_retention_days = retention_days
    policy.save(update_fields=["recording_enabled", "recording_notice", "recording_retention_days", "updated_at"])
    audit_log(
        actor=actor,
        action="affairs.remote_policy",
        street=street,
        data={"recording": policy.recording_enabled, "retention_days": policy.recording_retention_days},
    )
    return policy


@transaction.atomic
def remote_session_open(*, resource: Resource, actor: User, appointment: Appointment | None = None) -> RemoteSession:
    """The remote point asks for a window: every clerk's page of the street shows the request."""
    require_role(actor, street=resource.street, roles=CLERK_ROLES)
    if resource.kind != ResourceKind.REMOTE:
        raise Problem("validation_error", errors=[field_error("resource", _("这里不是远程帮办点"))])
    if appointment is not None:
        if appointment.resource_id != resource.pk:
            raise Problem("validation_error", errors=[field_error("appointment", _("这个预约不在本帮办点"))])
        if appointment.status == AppointmentStatus.BOOKED:
            APPOINTMENT_MACHINE.move(appointment, AppointmentStatus.CHECKED_IN, actor=actor, note="remote")
        elif appointment.status != AppointmentStatus.CHECKED_IN:
            raise Problem(
                "appointment_invalid_transition",
                detail=format_lazy(_("预约 {code} 已结束"), code=appointment.code),
            )
    open_one = RemoteSession.objects.filter(
        resource=resource, status__in=(S.WAITING, S.ACTIVE), appointment=appointment
    ).first()
    if open_one is not None:
        return open_one
    session = RemoteSession.objects.create(
        street=resource.street,
        resource=resource,
        appointment=appointment,
        room=secrets.token_urlsafe(12),
        opened_by=actor,
        recording=remote_policy_for(resource.street).recording_enabled,
    )
    RemoteSessionEvent.objects.create(session=session, actor=actor, to_status=S.WAITING, note="open")
    return session


@transaction.atomic
def remote_session_answer(*, session: RemoteSession, clerk: User, counter: Counter | None = None) -> RemoteSession:
    """A window takes the call (the first clerk to answer; a second gets `remote_session_invalid`)."""
    require_role(clerk, street=session.street, roles=CLERK_ROLES)
    if session.status == S.ACTIVE and session.clerk_id == clerk.pk:
        return session  # the same clerk again (a reload)
    fields: dict[str, Any] = {"clerk": clerk}
    if counter is not None:
        fields["counter"] = counter
    return MACHINE.move(session, S.ACTIVE, actor=clerk, fields=fields)


def remote_session_connected(*, session_id: int, actor: User | None) -> None:
    """The clerk's browser saw media flowing: the call's duration counts from here."""
    RemoteSession.objects.filter(pk=session_id, status=S.ACTIVE, connected_at__isnull=True).update(
        connected_at=timezone.now()
    )


@transaction.atomic
def remote_session_end(*, session: RemoteSession, actor: User | None, reason: str = "hangup") -> RemoteSession:
    """Hang up (either side) or a side's socket closed: log how long the call lasted."""
    session = RemoteSession.objects.select_for_update().get(pk=session.pk)
    if session.status in (S.ENDED, S.CANCELLED):
        return session
    now = timezone.now()
    if session.status == S.WAITING:
        return MACHINE.move(session, S.CANCELLED, actor=actor, now=now, note=reason, fields={"end_reason": reason[:40]})
    start = session.connected_at or session.answered_at or now
    fields: dict[str, Any] = {
        "duration_seconds": max(0, int((now - start).total_seconds())),
        "end_reason": reason[:40],
    }
    if actor is not None and getattr(actor, "pk", None):
        fields["ended_by"] = actor
    MACHINE.move(session, S.ENDED, actor=actor, now=now, note=reason, fields=fields)
    appointment = session.appointment
    if appointment is not None and appointment.status == AppointmentStatus.CHECKED_IN and session.connected_at:
        APPOINTMENT_MACHINE.move(appointment, AppointmentStatus.COMPLETED, actor=actor, now=now, note="remote")
    return session


def remote_side_of(session: RemoteSession, user: Any) -> str:
    """ "remote" (the point that opened it), "clerk" (the window that answered) or "" (no part in it)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    if user.pk == session.opened_by_id:
        return "remote"
    if session.clerk_id and user.pk == session.clerk_id:
        return "clerk"
    return ""


RECORDING_MAX_BYTES = 1024 * 1024 * 1024  # 1 GB per call: about two hours at the browser's default bitrate
RECORDING_CHUNK_MAX = 8 * 1024 * 1024


@transaction.atomic
def remote_recording_append(*, session: RemoteSession, actor: User, seq: int, chunk: bytes) -> int:
    """Append the clerk's browser's next recorded chunk (WebM, in order from 0) to the session's recording; returns
    the bytes stored. Only when the street had recording on at the start (both screens showed the notice), only
    from the clerk of the session, only while it is active or just ended."""
    session = RemoteSession.objects.select_for_update().get(pk=session.pk)
    if not session.recording or remote_side_of(session, actor) != "clerk" or session.recording_deleted_at:
        raise Problem("permission_denied", detail=_("这次通话没有开启录制"))
    if session.status not in (S.ACTIVE, S.ENDED):
        raise invalid_transition(session, session.status, S.ACTIVE)
    if not chunk or len(chunk) > RECORDING_CHUNK_MAX or session.recording_bytes + len(chunk) > RECORDING_MAX_BYTES:
        raise Problem("too_large")
    if seq == 0 and not session.recording_file:
        session.recording_file.save(f"remote-{session.pk}-{session.room[:6]}.webm", ContentFile(chunk), save=False)
    elif session.recording_file:
        with session.recording_file.storage.open(session.recording_file.name, "ab") as out:
            out.write(chunk)
    else:
        raise Problem("validation_error", errors=[field_error("seq", _("录像须从第一段开始上传"))])
    session.recording_bytes += len(chunk)
    session.save(update_fields=["recording_file", "recording_bytes"])
    return int(session.recording_bytes)


def remote_recordings_purge(*, now: datetime | None = None) -> int:
    """Delete the recordings (file and file name) of sessions older than their street's retention
    (`RemotePolicy.recording_retention_days`, 30 days by default), counted from the end of the call (its start when
    it never ended). The session and its timeline stay, stamped `recording_deleted_at`; each deletion is one audit
    row. Returns how many recordings were deleted (Celery beat: `affairs.purge_recordings`)."""
    now = now or timezone.now()
    keep: dict[int, int] = {}
    n = 0
    recorded = RemoteSession.objects.exclude(recording_file="").filter(recording_deleted_at__isnull=True)
    for session in recorded.select_related("street").order_by("id").iterator(chunk_size=200):
        if session.street_id not in keep:
            keep[session.street_id] = remote_policy_for(session.street).recording_retention_days
        since = session.ended_at or session.created_at
        if since > now - timedelta(days=keep[session.street_id]):
            continue
        with transaction.atomic():
            locked = RemoteSession.objects.select_for_update().filter(pk=session.pk).first()
            if locked is None or not locked.recording_file or locked.recording_deleted_at:
                continue
            name, size = locked.recording_file.name, locked.recording_bytes
            locked.recording_file.delete(save=False)
            RemoteSession.objects.filter(pk=locked.pk).update(recording_file="", recording_deleted_at=now)
            audit_log(
                actor=None,
                action="affairs.recording_purge",
                street=session.street,
                obj=locked,
                data={"bytes": size, "file": name, "retention_days": keep[session.street_id]},
            )
        n += 1
    return n
