"""Daily welfare checks: a check-in ("我很好" on the phone page, a call device's heartbeat, a visit logged or a
phone call confirmed by staff), and the ladder a missed check-in climbs:

    reminded     at the person's chosen hour without a check-in: an SMS asks them to tap "我很好" (call-back)
    staff_call   30 min later: the committee's responders on duty are asked to phone
    door_knock   30 min later: a door-knock task for the committee (pushed to the responders' consoles)
    family_told  60 min later: the family and the family doctor are told by SMS (as the consent allows)
    resolved     from any rung: a check-in, or staff confirming the person is well

Each rung has its own timer (`LADDER`), every move goes through `ALERT_MACHINE` and its timeline; `alerts_sweep`
(Celery beat, in process when embedded) climbs them and is idempotent."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from linli.care.models import Alert, AlertEvent, AlertStatus, CheckIn, CheckInSource, ContactKind, Person, Share
from linli.care.services.alert_states import ALERT_MACHINE
from linli.care.services.push import group_send, lead_group, sms_to, user_group
from linli.care.services.rota import responders_on_duty
from linli.care.services.text import text_in
from linli.core.errors import Problem
from linli.core.models import User
from linli.core.notifications import notify_user

A = AlertStatus
# The timer of each rung: how long after entering it the alert climbs to the next.
LADDER: dict[str, tuple[timedelta, str]] = {
    A.REMINDED: (timedelta(minutes=30), A.STAFF_CALL),
    A.STAFF_CALL: (timedelta(minutes=30), A.DOOR_KNOCK),
    A.DOOR_KNOCK: (timedelta(minutes=60), A.FAMILY_TOLD),
}


@transaction.atomic
def checkin_record(*, person: Person, source: str, by: User | None = None, now: datetime | None = None) -> CheckIn:
    """A check-in; it resolves today's open alert of the person, if any."""
    now = now or timezone.now()
    checkin = CheckIn.objects.create(person=person, source=source, by=by if by and by.pk else None, at=now)
    alert = Alert.objects.filter(person=person, day=timezone.localdate(now)).exclude(status=A.RESOLVED).first()
    if alert is not None:
        label = CheckInSource(source).label
        ALERT_MACHINE.move(alert, A.RESOLVED, actor=by, now=now, note=str(label), fields={"resolution": source},
                           data={"action": "resolved"})  # fmt: skip
    return checkin


@transaction.atomic
def alert_resolve(*, alert: Alert, actor: User, note: str, now: datetime | None = None) -> Alert:
    """Staff confirmed the person is well (a call, a knock answered)."""
    note = text_in(note, field="note", max_len=200) or "staff"
    ALERT_MACHINE.move(alert, A.RESOLVED, actor=actor, now=now, note=note, fields={"resolution": note[:200]},
                       data={"action": "resolved"})  # fmt: skip
    CheckIn.objects.create(person=alert.person, source=CheckInSource.CALL, by=actor, at=now or timezone.now())
    return alert


def _tell_responders(alert: Alert, step: str, now: datetime) -> None:
    person = alert.person
    users = responders_on_duty(committee=person.committee, at=now)
    what = "请电话联系" if step == A.STAFF_CALL else "请上门敲门查看"
    for user in users:
        notify_user(
            user=user,
            message_zh=f"{person.name}（{person.address}）今天未报平安，{what}。",
            message_en=f"{person.name} ({person.address}) has not checked in today: {'please call' if step == A.STAFF_CALL else 'please knock on the door'}.",
        )
    code = person.street.code
    message = {"type": "care.alert", "alert": {"id": alert.pk, "person": person.name, "address": person.address,
                                                "status": step}}  # fmt: skip
    groups = [user_group(code, u.pk) for u in users] + [lead_group(code)]
    transaction.on_commit(lambda: group_send(groups, message))


def _tell_family(alert: Alert) -> int:
    person = alert.person
    consent = person.consents.filter(withdrawn_at__isnull=True).first()
    shares = set(consent.shares if consent else [])
    n = 0
    for contact in person.contacts.all():
        if (contact.kind == ContactKind.FAMILY and Share.FAMILY in shares) or (
            contact.kind == ContactKind.DOCTOR and Share.DOCTOR in shares
        ):
            sms_to(
                phone=contact.phone,
                message_zh=f"{person.name}今天未按时报平安，居委工作人员已上门查看，请尽快与其联系或联系{person.committee.name}（{person.committee.phone}）。",
            )
            n += 1
    return n


def alerts_sweep(*, now: datetime | None = None) -> dict[str, Any]:
    """Open the day's alerts of people past their check-in hour without a check-in, and climb the open ones whose
    rung's timer ran out. Each step happens once (the machine's conditional UPDATE)."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    today = local.date()
    counts = {"opened": 0, "climbed": 0}
    start_of_day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    due = (
        Person.objects.filter(active=True, checkin_enabled=True, checkin_hour__lte=local.hour)
        .exclude(checkins__at__gte=start_of_day)
        .exclude(alerts__day=today)
        .select_related("committee", "street")
    )
    for person in due:
        with transaction.atomic():
            alert, created = Alert.objects.get_or_create(
                person=person, day=today, defaults={"created_at": now, "step_at": now}
            )
            if not created:
                continue
            AlertEvent.objects.create(
                alert=alert, at=now, action="opened", from_status="", to_status=A.REMINDED, note="", data={}
            )
            if person.phone:
                sms_to(
                    phone=person.phone,
                    message_zh=f"{person.name}您好，今天还没有报平安，请点“我很好”或回电{person.committee.name}。",
                )
            counts["opened"] += 1
    for status, (after, to) in LADDER.items():
        for alert in Alert.objects.filter(status=status, step_at__lte=now - after).select_related(
            "person", "person__committee", "person__street"
        ):
            with transaction.atomic():
                try:
                    ALERT_MACHINE.move(alert, to, now=now, data={"action": "climbed"})
                except Problem:  # moved by another sweep, or resolved meanwhile
                    continue
                if to in (A.STAFF_CALL, A.DOOR_KNOCK):
                    _tell_responders(alert, to, now)
                elif to == A.FAMILY_TOLD:
                    _tell_family(alert)
                counts["climbed"] += 1
    return counts
