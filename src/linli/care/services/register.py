"""The register of special groups: entries, consent, contacts, corrections the resident asks for, call devices.

An entry is held only with a consent (who agreed, when, what may be shared). Every staff view of an entry writes
an audit row (`person_view`); audit data carries masked phones only."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.care.models import (
    CallDevice,
    Consent,
    Contact,
    ContactKind,
    Correction,
    CorrectionStatus,
    Group,
    Person,
    Share,
)
from linli.care.services.text import text_in
from linli.core.errors import Problem, field_error
from linli.core.models import Committee, Compound, Street, User
from linli.core.phones import InvalidPhone, mask_phone, normalize_phone
from linli.core.services import audit_log


def _phone(raw: str, field: str) -> str:
    try:
        return normalize_phone(raw)
    except InvalidPhone:
        raise Problem("invalid_phone", errors=[field_error(field, _("手机号格式不正确"))]) from None


def _groups(groups: Iterable[str]) -> list[str]:
    out = []
    for g in groups:
        if g not in Group.values:
            raise Problem("validation_error", errors=[field_error("groups", _("没有这个类别"))])
        out.append(g)
    if not out:
        raise Problem("validation_error", errors=[field_error("groups", _("请至少选择一个类别"))])
    return list(dict.fromkeys(out))


def _shares(shares: Iterable[str]) -> list[str]:
    out = [s for s in shares if s in Share.values]
    if len(out) != len(list(shares)):
        raise Problem("validation_error", errors=[field_error("shares", _("没有这个共享范围"))])
    return list(dict.fromkeys(out))


@transaction.atomic
def person_register(
    *,
    actor: User,
    committee: Committee,
    name: str,
    groups: Sequence[str],
    consent_by: str,
    consent_relation: str = "本人",
    shares: Sequence[str] = (Share.RESPONDERS, Share.FAMILY, Share.DOCTOR),
    compound: Compound | None = None,
    building: str = "",
    phone: str = "",
    id_number: str = "",
    birth_year: int | None = None,
    health_notes: str = "",
    user: User | None = None,
    checkin_hour: int | None = None,
    contacts: Sequence[dict[str, str]] = (),
) -> Person:
    """Register a person of a special group with the consent given (who, what may be shared) and contacts."""
    name = text_in(name, field="name", max_len=50, label=True)
    if not name:
        raise Problem("validation_error", errors=[field_error("name", _("必填项"))])
    if not (consent_by or "").strip():
        raise Problem("care_consent_required", errors=[field_error("consent_by", _("请填写同意人"))])
    if compound is not None and compound.street_id != committee.street_id:
        raise Problem("validation_error", errors=[field_error("compound", _("小区不属于该街道"))])
    if checkin_hour is not None and not 0 <= checkin_hour <= 23:
        raise Problem("validation_error", errors=[field_error("checkin_hour", _("请填写0到23之间的整点"))])
    id_number = (id_number or "").strip().upper()
    if id_number and (len(id_number) != 18 or not id_number[:17].isdigit()):
        raise Problem("validation_error", errors=[field_error("id_number", _("身份证号格式不正确"))])
    person = Person.objects.create(
        street_id=committee.street_id,
        committee=committee,
        compound=compound,
        user=user,
        name=name[:50],
        phone=_phone(phone, "phone") if phone else "",
        id_number=id_number,
        birth_year=birth_year,
        groups=_groups(groups),
        building=text_in(building, field="building", max_len=60),
        lat=compound.lat if compound else None,
        lng=compound.lng if compound else None,
        health_notes=text_in(health_notes, field="health_notes", max_len=2000),
        checkin_enabled=checkin_hour is not None,
        checkin_hour=checkin_hour if checkin_hour is not None else 10,
    )
    Consent.objects.create(
        person=person,
        given_by=text_in(consent_by, field="consent_by", max_len=50),
        relation=text_in(consent_relation or "本人", field="consent_relation", max_len=20),
        shares=_shares(shares),
        recorded_by=actor,
    )
    for c in contacts:
        contact_add(person=person, kind=c.get("kind", ""), name=c.get("name", ""), phone=c.get("phone", ""),
                    relation=c.get("relation", ""), actor=None)  # fmt: skip
    audit_log(
        actor=actor,
        action="care.person.register",
        street=committee.street,
        obj=person,
        data={"groups": person.groups, "phone": mask_phone(person.phone) if person.phone else ""},
    )
    return person


@transaction.atomic
def person_update(*, actor: User, person: Person, **changes: Any) -> Person:
    """Change the fields named (health notes, building, check-in hour, groups, phone)."""
    allowed = {"health_notes", "building", "checkin_hour", "checkin_enabled", "groups", "phone", "name"}
    fields = []
    for key, value in changes.items():
        if key not in allowed:
            raise Problem("validation_error", errors=[field_error(key, _("不能修改此项"))])
        if key == "groups":
            value = _groups(value)
        elif key == "phone":
            value = _phone(value, "phone") if value else ""
        elif key == "checkin_hour":
            value = int(value)
            if not 0 <= value <= 23:
                raise Problem("validation_error", errors=[field_error("checkin_hour", _("请填写0到23之间的整点"))])
        elif isinstance(value, str):
            value = text_in(value, field=key, max_len=2000)
        setattr(person, key, value)
        fields.append(key)
    person.save(update_fields=[*fields, "updated_at"])
    audit_log(actor=actor, action="care.person.update", street=person.street, obj=person, data={"fields": fields})
    return person


def contact_add(
    *, person: Person, kind: str, name: str, phone: str, relation: str = "", actor: User | None = None
) -> Contact:
    if kind not in ContactKind.values:
        raise Problem("validation_error", errors=[field_error("kind", _("没有这种联系人"))])
    contact = Contact.objects.create(
        person=person,
        kind=kind,
        name=text_in(name, field="name", max_len=50, label=True) or "-",
        relation=text_in(relation, field="relation", max_len=20),
        phone=_phone(phone, "phone"),
    )
    if actor is not None:
        audit_log(actor=actor, action="care.contact.add", street=person.street, obj=person,
                  data={"kind": kind, "phone": mask_phone(contact.phone)})  # fmt: skip
    return contact


@transaction.atomic
def consent_record(*, actor: User, person: Person, given_by: str, relation: str, shares: Sequence[str]) -> Consent:
    consent = Consent.objects.create(
        person=person, given_by=text_in(given_by, field="given_by", max_len=50), relation=text_in(relation, field="relation", max_len=20),
        shares=_shares(shares), recorded_by=actor,
    )  # fmt: skip
    audit_log(
        actor=actor, action="care.consent.record", street=person.street, obj=person, data={"shares": consent.shares}
    )
    return consent


def person_view(*, actor: User, person: Person, what: str = "entry") -> None:
    """The audit row of a staff member viewing an entry (its health notes, groups, contacts)."""
    audit_log(actor=actor, action=f"care.person.view.{what}", street=person.street, obj=person)


def register_export_audit(*, actor: User, street: Street, count: int) -> None:
    audit_log(actor=actor, action="care.register.export", street=street, data={"rows": count})


@transaction.atomic
def correction_request(*, person: Person, user: User, text: str) -> Correction:
    """The resident (or their family, signed in as the entry's user) asks for a correction."""
    text = text_in(text, field="text", max_len=1000)
    if not text:
        raise Problem("validation_error", errors=[field_error("text", _("请写明需要更正的内容"))])
    correction = Correction.objects.create(person=person, requested_by=user, text=text[:1000])
    audit_log(actor=user, action="care.correction.request", street=person.street, obj=person)
    return correction


@transaction.atomic
def correction_answer(*, actor: User, correction: Correction, done: bool, answer: str = "") -> Correction:
    correction.status = CorrectionStatus.DONE if done else CorrectionStatus.DECLINED
    correction.answered_at = timezone.now()
    correction.answered_by = actor
    correction.answer = text_in(answer, field="answer", max_len=500)
    correction.save(update_fields=["status", "answered_at", "answered_by", "answer"])
    audit_log(actor=actor, action="care.correction.answer", street=correction.person.street, obj=correction.person)
    return correction


def device_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def device_create(*, actor: User | None, person: Person, name: str = "") -> tuple[CallDevice, str]:
    """A call device for the person's home; returns it and its token (shown once)."""
    raw = "lcd_" + secrets.token_urlsafe(24)
    device = CallDevice.objects.create(
        person=person, name=text_in(name, field="name", max_len=60), digest=device_digest(raw)
    )
    audit_log(actor=actor, action="care.device.create", street=person.street, obj=person)
    return device, raw


def device_for_token(raw: str) -> CallDevice:
    device = (
        CallDevice.objects.select_related("person", "person__committee", "person__street")
        .filter(digest=device_digest(raw or ""), revoked_at__isnull=True, person__active=True)
        .first()
    )
    if device is None:
        raise Problem("care_device_invalid")
    return device


def register_list_audit(*, actor: User, street: Street, count: int) -> None:
    audit_log(actor=actor, action="care.register.list", street=street, data={"rows": count})


def device_seen(*, device: CallDevice) -> None:
    CallDevice.objects.filter(pk=device.pk).update(last_seen_at=timezone.now())
