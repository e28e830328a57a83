"""The family's view of an entry (issue 17 item 1: "the resident (or family) can see what is held and ask for a
correction"). A family member is someone the entry names as a `family` contact, by phone: they sign in with the
project's normal phone sign-in (one-time SMS code) and the phone they proved is the key. Neighbours and doctors
named as contacts see nothing, nor does anyone whose phone no entry names.

Consent rules: the family sees the entry only while the consent in force (the latest, not withdrawn) lets the
committee share with the family (`Share.FAMILY`); then they may correct the contacts' names, relations and phones
and the health notes directly, or ask the committee to correct anything else. Every view and every correction is
an audit row (masked phones only)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from linli.care.models import Contact, ContactKind, Person, Share
from linli.care.services.text import text_in
from linli.core.errors import Problem, field_error
from linli.core.models import User
from linli.core.phones import InvalidPhone, mask_phone, normalize_phone
from linli.core.services import audit_log


def _phone(raw: str) -> str:
    try:
        return normalize_phone(raw)
    except InvalidPhone:
        raise Problem("invalid_phone", errors=[field_error("phone", _("手机号格式不正确"))]) from None


def family_may_see(person: Person, user: User) -> bool:
    """True when `user`'s phone is a family contact of the active entry and the consent in force shares with
    the family."""
    phone = getattr(user, "phone", "") or ""
    if not phone or not person.active:
        return False
    if not person.contacts.filter(kind=ContactKind.FAMILY, phone=phone).exists():
        return False
    consent = person.consents.order_by("-given_at", "-id").first()
    return consent is not None and consent.withdrawn_at is None and Share.FAMILY in (consent.shares or [])


def family_entries(user: User) -> list[Person]:
    """The entries `user` may see as family, by the phone they signed in with."""
    phone = getattr(user, "phone", "") or ""
    if not getattr(user, "is_authenticated", False) or not phone:
        return []
    people = (
        Person.objects.select_related("committee", "compound", "street")
        .filter(active=True, contacts__kind=ContactKind.FAMILY, contacts__phone=phone)
        .distinct()
        .order_by("name", "id")
    )
    return [p for p in people if family_may_see(p, user)]


def family_person(*, user: User, person_id: int) -> Person:
    """One entry the family member may see; `not_found` otherwise (the same answer whether it exists or not)."""
    for person in family_entries(user):
        if person.pk == person_id:
            return person
    raise Problem("not_found")


def family_view(*, actor: User, person: Person) -> None:
    """The audit row of a family member reading the entry."""
    audit_log(
        actor=actor,
        action="care.family.view",
        street=person.street,
        obj=person,
        data={"phone": mask_phone(actor.phone)},
    )


@transaction.atomic
def family_correct(
    *,
    actor: User,
    person: Person,
    contacts: dict[int, dict[str, str]] | None = None,
    health_notes: str | None = None,
) -> list[str]:
    """A family member corrects the entry's contacts (`{contact id: {"name", "relation", "phone"}}`) and/or its
    health notes; returns what changed (audit-logged, masked phones). Refused unless they may see the entry."""
    if not family_may_see(person, actor):
        raise Problem("not_found")
    changed: list[str] = []
    data: dict[str, Any] = {"by": mask_phone(actor.phone)}
    for contact_id, values in (contacts or {}).items():
        contact = Contact.objects.select_for_update().filter(person=person, pk=contact_id).first()
        if contact is None:
            raise Problem("validation_error", errors=[field_error("contact", _("没有这个联系人"))])
        name = text_in(values.get("name", contact.name), field="name", max_len=50, label=True)
        if not name:
            raise Problem("validation_error", errors=[field_error("name", _("必填项"))])
        relation = text_in(values.get("relation", contact.relation), field="relation", max_len=20)
        phone = _phone(values.get("phone", contact.phone))
        if (name, relation, phone) == (contact.name, contact.relation, contact.phone):
            continue
        if phone != contact.phone:
            data.setdefault("phones", []).append([mask_phone(contact.phone), mask_phone(phone)])
        contact.name, contact.relation, contact.phone = name, relation, phone
        contact.save(update_fields=["name", "relation", "phone"])
        changed.append(f"contact:{contact.pk}")
    if health_notes is not None:
        notes = text_in(health_notes, field="health_notes", max_len=2000)
        if notes != person.health_notes:
            person.health_notes = notes
            person.save(update_fields=["health_notes", "updated_at"])
            changed.append("health_notes")
    if changed:
        data["changed"] = changed
        audit_log(actor=actor, action="care.family.correct", street=person.street, obj=person, data=data)
    return changed
