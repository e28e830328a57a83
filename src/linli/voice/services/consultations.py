"""日日清约请: a committee records a problem (from a need, a case, a survey or a walk-in), invites the parties
responsible (`services.invitations`), schedules the meeting, records who came, the decisions and the action items,
tracks each action to closure with its evidence, escalates overdue ones to the street (`actions_escalate`, the
beat task), closes the consultation and tells the residents who raised it, who confirm the result."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.activities.models import ActivityStatus, Category
from linli.activities.services.activities import activity_create
from linli.core.errors import Problem, field_error
from linli.core.models import Committee, Role, User
from linli.core.notifications import notify_user
from linli.places.models import Place
from linli.voice.models import (
    ActionItem,
    ActionKind,
    ActionStatus,
    Consultation,
    ConsultationEvent,
    ConsultationSource,
    ConsultationStatus,
    Need,
)
from linli.voice.services import needs as need_services
from linli.voice.services.consult_states import CONSULTATION_MACHINE

C = ConsultationStatus
MEETING_LENGTH = dt.timedelta(minutes=90)


def consultation_create(*, committee: Committee, title: str, problem: str, source: str = ConsultationSource.WALK_IN,
                        source_ref: str = "", need: Need | None = None, actor: User | None = None,
                        now: dt.datetime | None = None) -> Consultation:  # fmt: skip
    title, problem = (title or "").strip(), (problem or "").strip()
    errors = []
    if not title:
        errors.append(field_error("title", _("必填项")))
    if not problem:
        errors.append(field_error("problem", _("必填项")))
    if errors:
        raise Problem("validation_error", errors=errors)
    raised_by = []
    if need is not None:
        source, source_ref = ConsultationSource.NEED, str(need.pk)
        raised_by = [uid for uid in [need.raised_by_id, *need.merged.values_list("raised_by_id", flat=True)] if uid]
    now = now or timezone.now()
    with transaction.atomic():
        c = Consultation.objects.create(street_id=committee.street_id, committee=committee, title=title[:120],
                                        problem=problem[:2000], source=source, source_ref=source_ref,
                                        raised_by=raised_by, created_by=actor, created_at=now)  # fmt: skip
        ConsultationEvent.objects.create(consultation=c, at=now, actor=actor, action="created", to_status=c.status)
        if need is not None:
            need_services.need_action(need=need, kind=ActionKind.CONSULTATION, ref=str(c.pk))
    return c


def consultation_schedule(*, consultation: Consultation, meeting_at: dt.datetime, venue: str, booking_ref: str = "",
                          actor: User | None = None, now: dt.datetime | None = None, place_id: int | None = None,
                          seats: int = 30) -> Consultation:  # fmt: skip
    """Agree the meeting. With `place_id` (a venue of the street) the meeting is booked there through activities:
    a published activity at that venue and time (its calendar shows it taken; residents may sign up to sit in,
    `seats` places), its id kept in `booking_ref`."""
    place = None
    if place_id is not None:
        place = Place.objects.filter(pk=place_id, street_id=consultation.street_id, is_active=True).first()
        if place is None:
            raise Problem("validation_error", errors=[field_error("place_id", _("本街道没有这个场地"))])
        venue = venue.strip() or place.name
    if not (venue or "").strip():
        raise Problem("validation_error", errors=[field_error("venue", _("请填写会面地点"))])
    if not 1 <= seats <= 500:
        raise Problem("validation_error", errors=[field_error("seats", _("旁听名额应在 1 到 500 之间"))])
    with transaction.atomic():
        if place is not None:
            activity = activity_create(
                street=consultation.street, place=place, title=f"日日清约请：{consultation.title}"[:200],
                start=meeting_at, end=meeting_at + MEETING_LENGTH, capacity=seats, category=Category.OTHER,
                organiser=consultation.committee.name, status=ActivityStatus.PUBLISHED, waitlist_capacity=0,
                description=consultation.problem[:2000], tags=["日日清约请"],
                external_id=f"voice-consultation-{consultation.pk}-{uuid.uuid4().hex[:8]}", actor=None,
            )  # fmt: skip
            booking_ref = str(activity.pk)
        return CONSULTATION_MACHINE.move(consultation, C.SCHEDULED, actor=actor, note=venue[:120], now=now,
                                         fields={"meeting_at": meeting_at, "venue": venue[:120],
                                                 "booking_ref": booking_ref[:40]})  # fmt: skip


def consultation_meeting(*, consultation: Consultation, attendees: str, decisions: str,
                         actions: list[dict[str, Any]], actor: User | None = None,
                         now: dt.datetime | None = None) -> Consultation:  # fmt: skip
    """Record the meeting: who came, what was decided, and the action items (title, owner, due_on)."""
    errors = []
    if not (decisions or "").strip():
        errors.append(field_error("decisions", _("请填写会议决定")))
    rows = []
    for i, a in enumerate(actions):
        title, owner, due = str(a.get("title", "")).strip(), str(a.get("owner", "")).strip(), a.get("due_on")
        if isinstance(due, str):
            try:
                due = dt.date.fromisoformat(due)
            except ValueError:
                due = None
        if not title or not owner or not isinstance(due, dt.date):
            errors.append(field_error(f"actions[{i}]", _("每项需要事项、责任方和期限")))
            continue
        rows.append(ActionItem(consultation=consultation, title=title[:200], owner=owner[:100], due_on=due))
    if errors:
        raise Problem("validation_error", errors=errors)
    with transaction.atomic():
        CONSULTATION_MACHINE.move(consultation, C.MET, actor=actor, note=decisions[:500], now=now,
                                  fields={"attendees": attendees[:1000], "decisions": decisions[:4000]})  # fmt: skip
        ActionItem.objects.bulk_create(rows)
    return consultation


def action_add(*, consultation: Consultation, title: str, owner: str, due_on: dt.date) -> ActionItem:
    if consultation.status in (C.CLOSED, C.CANCELLED):
        raise Problem("consultation_invalid_transition")
    return ActionItem.objects.create(consultation=consultation, title=title[:200], owner=owner[:100], due_on=due_on)


def action_done(*, action: ActionItem, evidence: str, actor: User | None = None,
                now: dt.datetime | None = None) -> ActionItem:  # fmt: skip
    """An action is closed with its evidence (what was done, where to see it)."""
    evidence = (evidence or "").strip()
    if not evidence:
        raise Problem("validation_error", errors=[field_error("evidence", _("请写明完成情况"))])
    now = now or timezone.now()
    with transaction.atomic():
        moved = ActionItem.objects.filter(pk=action.pk, status=ActionStatus.OPEN).update(
            status=ActionStatus.DONE, evidence=evidence[:500], done_at=now)  # fmt: skip
        if not moved:
            raise Problem("action_invalid_transition")
        ConsultationEvent.objects.create(consultation_id=action.consultation_id, at=now, actor=actor,
                                         action="action_done", note=f"{action.title}：{evidence}"[:500],
                                         data={"action_id": action.pk})  # fmt: skip
    action.refresh_from_db()
    return action


def consultation_close(*, consultation: Consultation, outcome: str, actor: User | None = None,
                       now: dt.datetime | None = None) -> Consultation:  # fmt: skip
    """Close when every action is done; the need it came from is answered and its residents are told."""
    if not (outcome or "").strip():
        raise Problem("validation_error", errors=[field_error("outcome", _("请写明办理结果"))])
    if consultation.actions.filter(status=ActionStatus.OPEN).exists():
        raise Problem("consultation_invalid_transition", detail=_("还有未完成的事项"))
    now = now or timezone.now()
    with transaction.atomic():
        CONSULTATION_MACHINE.move(consultation, C.CLOSED, actor=actor, now=now, note=outcome[:500],
                                  fields={"outcome": outcome[:2000]})  # fmt: skip
        if consultation.source == ConsultationSource.NEED and consultation.source_ref.isdigit():
            need = Need.objects.filter(pk=int(consultation.source_ref)).first()
            if need is not None:
                need_services.need_answer(need=need, answer=outcome, now=now)
        for user in User.objects.filter(pk__in=consultation.raised_by):
            notify_user(user=user, message_zh=f"您反映的「{consultation.title}」已办结：{outcome[:60]}。请在“我的”中确认结果。",
                        message_en=f"The problem you raised, {consultation.title}, is settled. Please confirm.")  # fmt: skip
    return consultation


def resident_confirm(*, consultation: Consultation, user: User, satisfied: bool = True) -> Consultation:
    if consultation.status != C.CLOSED or user.pk not in consultation.raised_by:
        raise Problem("permission_denied", detail=_("只有反映问题的居民可以确认办理结果"))
    if user.pk not in consultation.confirmed_by:
        with transaction.atomic():
            consultation.confirmed_by = [*consultation.confirmed_by, user.pk]
            consultation.save(update_fields=["confirmed_by"])
            ConsultationEvent.objects.create(consultation=consultation, actor=user,
                                             action="confirmed" if satisfied else "not_satisfied")  # fmt: skip
    return consultation


def consultation_cancel(*, consultation: Consultation, note: str, actor: User | None = None) -> Consultation:
    return CONSULTATION_MACHINE.move(consultation, C.CANCELLED, actor=actor, note=note[:500])


def street_admins(street_id: int) -> list[User]:
    return list(User.objects.filter(is_active=True, roles__street_id=street_id, roles__role=Role.ADMIN).distinct())


def actions_escalate(*, now: dt.datetime | None = None) -> int:
    """Open actions past their due date escalate to the street once: stamped, a timeline row, the street's
    administrators told. Safe to run often and on many workers (the stamp is a conditional UPDATE)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    escalated = 0
    overdue = ActionItem.objects.filter(status=ActionStatus.OPEN, escalated_at__isnull=True, due_on__lt=today)
    for action in overdue.select_related("consultation", "consultation__committee")[:500]:
        with transaction.atomic():
            if not ActionItem.objects.filter(pk=action.pk, escalated_at__isnull=True).update(escalated_at=now):
                continue
            c = action.consultation
            ConsultationEvent.objects.create(consultation=c, at=now, action="action_escalated",
                                             note=action.title[:500], data={"action_id": action.pk})  # fmt: skip
            days = (today - action.due_on).days
            for admin in street_admins(c.street_id):
                notify_user(user=admin, message_zh=f"日日清约请「{c.title}」（{c.committee.name}）的事项「{action.title}」"
                            f"已逾期{days}天，责任方：{action.owner}",
                            message_en=f"Consultation action overdue by {days} days: {action.title} ({action.owner})")  # fmt: skip
            escalated += 1
    return escalated
