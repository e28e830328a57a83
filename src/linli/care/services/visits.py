"""The 8-hour channel (上门特办): a door-to-door request of a registered person, visited within 8 hours: a
reminder at 6 h and an escalation at 8 h, each once (`visits_sweep`; the hours are the street's `CarePolicy`). The visit is recorded on the phone: arrival,
what was done, photos of documents (checked and re-encoded by `linli.core.photos` before the transaction), the
resident's signature, completed or follow-up needed."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.care import hooks
from linli.care.models import CarePolicy, Person, VisitEvent, VisitPhoto, VisitRequest, VisitStatus
from linli.care.services import followups as followup_services
from linli.care.services import policy
from linli.care.services.push import person_compound_id
from linli.care.services.rota import care_leads, responders_on_duty
from linli.care.services.text import text_in
from linli.care.services.visit_states import VISIT_MACHINE
from linli.core.errors import Problem, field_error
from linli.core.hooks import change_announce
from linli.core.models import User
from linli.core.notifications import notify_user
from linli.core.photos import ProcessedPhoto, photo_process

V = VisitStatus
MAX_PHOTOS = 6
MAX_SIGNATURE_BYTES = 300_000


@transaction.atomic
def visit_request_create(
    *, person: Person, what: str, requested_by: User | None, item_ref: str = "", now: datetime | None = None
) -> VisitRequest:
    """A request for a registered person (by them, their family or staff); due 8 hours later. `item_ref` names
    an item of a catalogue registered through `care.hooks` (the affairs catalogue, where that domain exists)."""
    what = text_in(what, field="what", max_len=300)
    if item_ref:
        label = hooks.visit_item_label(item_ref, street=person.street)
        if label is None:
            raise Problem("validation_error", errors=[field_error("item_ref", _("没有这个事项"))])
        what = what or label
    if not what:
        raise Problem("validation_error", errors=[field_error("what", _("请写明需要上门办理的事项"))])
    now = now or timezone.now()
    clocks = policy.policy_for(person.street_id)
    visit = VisitRequest.objects.create(
        street_id=person.street_id, committee_id=person.committee_id, person=person, what=what, item_ref=item_ref[:80],
        requested_by=requested_by if requested_by and requested_by.pk else None, created_at=now, due_at=now + timedelta(hours=clocks.visit_hours),
    )  # fmt: skip
    VisitEvent.objects.create(visit=visit, at=now, actor=visit.requested_by, action="created",
                                             from_status="", to_status=V.OPEN, note="", data={})  # fmt: skip
    for user in responders_on_duty(committee=person.committee, at=now):
        notify_user(user=user, message_zh=f"上门特办：{person.name}（{person.address}）{what}，8小时内上门。",
                    message_en=f"Door-to-door request for {person.name}: within 8 hours.")  # fmt: skip
    _announce(visit)
    return visit


def _announce(visit: VisitRequest) -> None:
    """Tell live views (core.hooks) that an 8-hour request changed."""
    change_announce(
        domain="care", kind=f"visit.{visit.status}", street_id=visit.street_id, compound_id=person_compound_id(visit)
    )


def photos_process(files: Sequence[Any]) -> list[ProcessedPhoto]:
    """Check and re-encode the visit's photos, outside any transaction (core.photos' rule)."""
    if len(files) > MAX_PHOTOS:
        raise Problem("photo_invalid", detail=_("最多上传6张照片"))
    return [photo_process(f) for f in files]


def signature_decode(data_url: str) -> bytes | None:
    """The signature drawn on screen: a PNG data URL (`data:image/png;base64,...`), checked to be a PNG."""
    if not data_url:
        return None
    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix):
        raise Problem("validation_error", errors=[field_error("signature", _("签名格式不正确"))])
    try:
        raw = base64.b64decode(data_url[len(prefix) :], validate=True)
    except (binascii.Error, ValueError):
        raise Problem("validation_error", errors=[field_error("signature", _("签名格式不正确"))]) from None
    if len(raw) > MAX_SIGNATURE_BYTES or not raw.startswith(b"\x89PNG\r\n\x1a\n"):
        raise Problem("validation_error", errors=[field_error("signature", _("签名格式不正确"))])
    return raw


@transaction.atomic
def visit_arrive(*, visit: VisitRequest, actor: User, now: datetime | None = None) -> VisitRequest:
    VISIT_MACHINE.move(
        visit, V.ON_SITE, actor=actor, now=now, fields={"assignee_id": actor.pk}, data={"action": "arrived"}
    )
    _announce(visit)
    return visit


@transaction.atomic
def visit_record(
    *,
    visit: VisitRequest,
    actor: User,
    done_text: str,
    follow_up: bool,
    photos: Sequence[ProcessedPhoto] = (),
    signature_png: bytes | None = None,
    now: datetime | None = None,
) -> VisitRequest:
    """What was done, photos, the signature; completed or follow-up needed (which schedules follow-ups)."""
    now = now or timezone.now()
    done_text = text_in(done_text, field="done_text", max_len=2000)
    if not done_text:
        raise Problem("validation_error", errors=[field_error("done_text", _("请填写办理情况"))])
    if visit.status == V.OPEN:
        visit_arrive(visit=visit, actor=actor, now=now)
    to = V.FOLLOW_UP if follow_up else V.COMPLETED
    VISIT_MACHINE.check(visit, to)
    for p in photos:
        photo = VisitPhoto(visit=visit, width=p.width, height=p.height)
        photo.image.save(f"visit-{visit.pk}.{p.ext}", ContentFile(p.content), save=False)
        photo.save()
    fields: dict[str, Any] = {"done_text": done_text}
    if signature_png:
        visit.signature.save(f"signature-{visit.pk}.png", ContentFile(signature_png), save=False)
        fields["signature"] = visit.signature.name
    VISIT_MACHINE.move(visit, to, actor=actor, now=now, note=done_text[:500], fields=fields,
                       data={"action": "recorded", "photos": len(photos)})  # fmt: skip
    if follow_up:
        followup_services.followups_schedule(person=visit.person, start=now, assignee=actor, visit=visit)
    _announce(visit)
    return visit


def visits_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Reminder at 6 h and escalation at 8 h of visits nobody has arrived at, each once (a conditional UPDATE of
    `reminded_at` / `escalated_at` decides)."""
    now = now or timezone.now()
    counts = {"reminded": 0, "escalated": 0}
    open_visits = VisitRequest.objects.filter(status=V.OPEN).select_related("person", "committee")
    policies: dict[int, CarePolicy] = {}
    soonest = timedelta(hours=policy.shortest("visit_reminder_hours"))
    for visit in open_visits.filter(reminded_at__isnull=True, created_at__lte=now - soonest):
        remind_at = timedelta(hours=policy.policy_for(visit.street_id, policies).visit_reminder_hours)
        if visit.created_at > now - remind_at:
            continue
        with transaction.atomic():
            if not VisitRequest.objects.filter(pk=visit.pk, reminded_at__isnull=True).update(reminded_at=now):
                continue
            VisitEvent.objects.create(visit=visit, at=now, action="reminded", from_status=visit.status,
                                                     to_status=visit.status, note="", data={})  # fmt: skip
            for user in responders_on_duty(committee=visit.committee, at=now):
                notify_user(user=user, message_zh=f"上门特办提醒：{visit.person.name}的「{visit.what}」还有2小时到期。",
                            message_en=f"Reminder: the door-to-door visit to {visit.person.name} is due in 2 hours.")  # fmt: skip
            counts["reminded"] += 1
    for visit in open_visits.filter(escalated_at__isnull=True, due_at__lte=now):
        with transaction.atomic():
            if not VisitRequest.objects.filter(pk=visit.pk, escalated_at__isnull=True).update(escalated_at=now):
                continue
            VisitEvent.objects.create(visit=visit, at=now, action="escalated", from_status=visit.status,
                                                     to_status=visit.status, note="", data={})  # fmt: skip
            for user in care_leads(street=visit.street_id):
                notify_user(user=user, message_zh=f"上门特办超时：{visit.person.name}（{visit.committee.name}）「{visit.what}」已超过8小时。",
                            message_en=f"Door-to-door visit to {visit.person.name} is over 8 hours.")  # fmt: skip
            counts["escalated"] += 1
    return counts
