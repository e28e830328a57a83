"""Help requests and emergency calls: stored first, then pushed to every on-duty responder of the committee; the
clocks (acknowledged ≤ 60 s, on the way ≤ 5 min, on site ≤ 30 min) are watched by `calls_sweep`.

A call is never lost: it is written (with its "created" event) before anyone is told; a push that fails falls
back to SMS and leaves the call open; a call nobody acknowledges within 60 s escalates to the street's care
leads and the next committee on duty, whatever happened to the push."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.care.models import Call, CallAction, CallEvent, CallKind, CallSource, CallStatus, CarePolicy, Person
from linli.care.services import followups as followup_services
from linli.care.services import policy
from linli.care.services.call_states import CALL_MACHINE
from linli.care.services.push import call_push
from linli.care.services.rota import care_leads, next_committee_on_duty, responders_on_duty
from linli.care.services.text import text_in
from linli.core.errors import Problem, field_error
from linli.core.models import Committee, User
from linli.core.notifications import notify_user
from linli.core.phones import InvalidPhone, normalize_phone
from linli.core.services import audit_log

S = CallStatus


def _event(call: Call, action: str, *, actor: User | None = None, note: str = "", data: dict | None = None,
           now: datetime | None = None) -> None:  # fmt: skip
    CallEvent.objects.create(
        call=call, at=now or timezone.now(), actor=actor if actor and actor.pk else None, action=action,
        from_status=call.status, to_status=call.status, note=note[:500], data=data or {},
    )  # fmt: skip


@transaction.atomic
def call_create(
    *,
    kind: str,
    source: str,
    person: Person | None = None,
    committee: Committee | None = None,
    actor: User | None = None,
    caller_phone: str = "",
    address_given: str = "",
    note: str = "",
    now: datetime | None = None,
) -> Call:
    """Store the call and its first event, then (after commit) push it to the committee's responders on duty.
    With nobody on duty it escalates at once (care leads, the next committee on duty)."""
    if kind not in CallKind.values:
        raise Problem("validation_error", errors=[field_error("kind", _("呼叫类型应为 emergency、help 或 chat"))])
    if source not in CallSource.values:
        raise Problem("validation_error", errors=[field_error("source", _("没有这种来源"))])
    if person is None and committee is None:
        raise Problem("validation_error", errors=[field_error("person", _("请选择关爱对象或居委"))])
    committee = committee or person.committee  # type: ignore[union-attr]
    if person is not None and person.committee_id != committee.pk and person.street_id != committee.street_id:
        raise Problem("validation_error", errors=[field_error("committee", _("居委与关爱对象不在同一街道"))])
    phone = ""
    if caller_phone:
        try:
            phone = normalize_phone(caller_phone)
        except InvalidPhone:
            raise Problem("invalid_phone", errors=[field_error("caller_phone", _("手机号格式不正确"))]) from None
    now = now or timezone.now()
    responders = responders_on_duty(committee=committee, at=now)
    call = Call.objects.create(
        street_id=committee.street_id,
        committee=committee,
        person=person,
        kind=kind,
        source=source,
        caller_phone=phone,
        address_given=text_in(address_given, field="address_given", max_len=200),
        note=text_in(note, field="note", max_len=500),
        created_at=now,
        created_by=actor if actor is not None and actor.pk else None,
        notified=[u.pk for u in responders],
    )
    CallEvent.objects.create(
        call=call, at=now, actor=call.created_by, action="created", from_status="", to_status=S.NEW,
        note="", data={"source": source, "notified": call.notified},
    )  # fmt: skip
    if not responders:
        _escalate(call, now=now, reason="nobody_on_duty")
        return call
    call_push(call=call, event="created", users=responders)
    if person is not None:  # the person's card goes to each responder's console: who was shown it
        audit_log(actor=None, action="care.person.view.pushed", street=call.street, obj=person,
                  data={"call": call.pk, "to": call.notified})  # fmt: skip
    return call


def _escalate(call: Call, *, now: datetime, reason: str) -> None:
    """To the street's care leads and the next committee on duty: push and SMS (an SMS each, whatever the push)."""
    nxt, backup = next_committee_on_duty(committee=call.committee, at=now)
    leads = care_leads(street=call.street_id)
    CALL_MACHINE.move(
        call, S.ESCALATED, now=now, note=str(reason),
        data={"action": "escalated", "leads": [u.pk for u in leads], "committee": nxt.pk if nxt else None,
              "backup": [u.pk for u in backup]},
    )  # fmt: skip
    told = {u.pk: u for u in [*leads, *backup]}
    Call.objects.filter(pk=call.pk).update(notified=sorted({*call.notified, *told}))
    if call.person is not None:
        audit_log(actor=None, action="care.person.view.pushed", street=call.street, obj=call.person,
                  data={"call": call.pk, "to": sorted(told)})  # fmt: skip
    call_push(call=call, event="escalated", users=list(told.values()), sms_fallback=False)
    where = (call.person.address if call.person else "") or call.address_given or call.committee.name
    for user in told.values():
        notify_user(
            user=user,
            message_zh=f"呼叫 #{call.pk} 无人及时响应，已升级：{where}（{call.committee.name}）。",
            message_en=f"Care call #{call.pk} was not acknowledged in time and is escalated to you: {where}.",
        )


def _staff_move(call: Call, to: str, *, actor: User, note: str = "", now: datetime | None = None,
                fields: dict | None = None, action: str = "transition") -> Call:  # fmt: skip
    CALL_MACHINE.move(call, to, actor=actor, note=note, now=now, fields=fields, data={"action": action})
    return call


@transaction.atomic
def call_acknowledge(*, call: Call, actor: User, now: datetime | None = None) -> Call:
    _staff_move(
        call, S.ACKNOWLEDGED, actor=actor, now=now, fields={"acknowledged_by_id": actor.pk}, action="acknowledged"
    )
    call.acknowledged_by = actor
    _repush(call, "acknowledged")
    return call


@transaction.atomic
def call_on_the_way(*, call: Call, actor: User, now: datetime | None = None) -> Call:
    _staff_move(call, S.ON_THE_WAY, actor=actor, now=now, action="on_the_way")
    _repush(call, "on_the_way")
    return call


@transaction.atomic
def call_arrive(*, call: Call, actor: User, now: datetime | None = None) -> Call:
    """The responder is at the door. An emergency or help call of a registered person gets its follow-ups."""
    if call.status in (S.NEW, S.ESCALATED):
        call_acknowledge(call=call, actor=actor, now=now)
    _staff_move(call, S.ON_SITE, actor=actor, now=now, action="arrived")
    if call.person is not None and call.kind != CallKind.CHAT:
        followup_services.followups_schedule(person=call.person, call=call, start=now or timezone.now(), assignee=actor)
    _repush(call, "arrived")
    return call


@transaction.atomic
def call_actions_add(*, call: Call, actor: User, actions: Sequence[str], note: str = "") -> Call:
    """Record what was done (called 120, family told, doctor told): each once, each an event."""
    call = Call.objects.select_for_update().get(pk=call.pk)
    new = []
    for action in actions:
        if action not in CallAction.values:
            raise Problem("validation_error", errors=[field_error("actions", _("没有这项处置"))])
        if action not in call.actions:
            new.append(action)
    if call.status == S.CLOSED and new:
        raise Problem("care_call_invalid_transition", detail=_("呼叫已结束，不能再记录处置"))
    call.actions = [*call.actions, *new]
    call.save(update_fields=["actions"])
    for action in new:
        _event(call, action, actor=actor, note=text_in(note, field="note", max_len=500))
    _repush(call, "actions")
    return call


@transaction.atomic
def call_close(*, call: Call, actor: User, outcome: str, now: datetime | None = None) -> Call:
    outcome = text_in(outcome, field="outcome", max_len=500)
    if not outcome:
        raise Problem("validation_error", errors=[field_error("outcome", _("请填写处置结果"))])
    if call.status in (S.NEW, S.ESCALATED):
        call_acknowledge(call=call, actor=actor, now=now)
    _staff_move(call, S.CLOSED, actor=actor, now=now, note=outcome, fields={"outcome": outcome}, action="closed")
    _repush(call, "closed")
    return call


def _repush(call: Call, event: str) -> None:
    """A change goes to the consoles that were told of the call (and the leads); no SMS for a change."""
    users = list(User.objects.filter(pk__in=call.notified or []))
    call_push(call=call, event=event, users=users, sms_fallback=False)


def calls_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """The calls' clocks, each step once: not acknowledged within 60 s → escalated; nobody on the way within
    5 min or on site within 30 min → the care leads are told (a "late" event). Idempotent."""
    now = now or timezone.now()
    counts = {"escalated": 0, "late_on_the_way": 0, "late_on_site": 0}
    policies: dict[int, CarePolicy] = {}
    soonest = timedelta(seconds=policy.shortest("ack_seconds"))
    for call_id in Call.objects.filter(status=S.NEW, created_at__lte=now - soonest).values_list("pk", flat=True):
        with transaction.atomic():
            call = (
                Call.objects.select_for_update(of=("self",))
                .select_related("committee", "street", "person")
                .get(pk=call_id)
            )
            if call.status != S.NEW or call.created_at > now - policy.ack_within(
                policy.policy_for(call.street_id, policies)
            ):
                continue
            _escalate(call, now=now, reason="not_acknowledged")
            counts["escalated"] += 1
    checks = (
        ("on_the_way", "on_the_way_minutes", (S.NEW, S.ESCALATED, S.ACKNOWLEDGED)),
        ("on_site", "on_site_minutes", (S.NEW, S.ESCALATED, S.ACKNOWLEDGED, S.ON_THE_WAY)),
    )
    for step, field, statuses in checks:
        soonest = timedelta(minutes=policy.shortest(field))
        due = Call.objects.filter(status__in=statuses, kind=CallKind.EMERGENCY, created_at__lte=now - soonest)
        for call_id in due.values_list("pk", flat=True):
            with transaction.atomic():
                call = (
                    Call.objects.select_for_update(of=("self",))
                    .select_related("committee", "street", "person")
                    .get(pk=call_id)
                )
                within = timedelta(minutes=getattr(policy.policy_for(call.street_id, policies), field))
                if step in (call.late_steps or []) or call.status not in statuses or call.created_at > now - within:
                    continue
                call.late_steps = [*(call.late_steps or []), step]
                call.save(update_fields=["late_steps"])
                _event(call, f"late_{step}", now=now)
                leads = care_leads(street=call.street_id)
                for user in leads:
                    notify_user(
                        user=user,
                        message_zh=f"呼叫 #{call.pk}（{call.committee.name}）超时：{'尚无人出发' if step == 'on_the_way' else '30分钟内未到场'}。",
                        message_en=f"Care call #{call.pk} is late: {'nobody on the way' if step == 'on_the_way' else 'nobody on site within 30 min'}.",
                    )
                call_push(call=call, event=f"late_{step}", users=leads, sms_fallback=False)
                counts[f"late_{step}"] += 1
    return counts
