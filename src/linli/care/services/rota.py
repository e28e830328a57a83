"""The committees' duty rota: who answers calls now, the next committee on duty, the street's care leads."""

from __future__ import annotations

from datetime import datetime, time

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.care.models import DutyShift
from linli.core.errors import Problem, field_error
from linli.core.models import Committee, Role, Street, User
from linli.core.services import audit_log


@transaction.atomic
def shift_add(
    *, actor: User | None, committee: Committee, user: User, weekday: int, start: time, end: time
) -> DutyShift:
    if not 0 <= weekday <= 6:
        raise Problem("validation_error", errors=[field_error("weekday", _("星期应为0（周一）到6（周日）"))])
    shift = DutyShift.objects.create(committee=committee, user=user, weekday=weekday, start=start, end=end)
    audit_log(actor=actor, action="care.shift.add", street=committee.street, obj=shift, data={"weekday": weekday})
    return shift


@transaction.atomic
def shift_remove(*, actor: User | None, shift: DutyShift) -> None:
    audit_log(actor=actor, action="care.shift.remove", street=shift.committee.street, data={"shift": shift.pk})
    shift.delete()


def _covers(shift: DutyShift, weekday: int, t: time) -> bool:
    if shift.start < shift.end:
        return shift.weekday == weekday and shift.start <= t < shift.end
    # past midnight: the evening of its day, the morning of the next
    return (shift.weekday == weekday and t >= shift.start) or ((shift.weekday + 1) % 7 == weekday and t < shift.end)


def on_duty(*, committee_ids: list[int], at: datetime | None = None) -> dict[int, list[User]]:
    """The active users on duty at `at` for each committee (one query)."""
    local = timezone.localtime(at or timezone.now())
    weekday, t = local.weekday(), local.time()
    out: dict[int, list[User]] = {cid: [] for cid in committee_ids}
    shifts = DutyShift.objects.filter(
        committee_id__in=committee_ids, weekday__in=[weekday, (weekday - 1) % 7], user__is_active=True
    ).select_related("user")
    for shift in shifts:
        if _covers(shift, weekday, t) and all(u.pk != shift.user_id for u in out[shift.committee_id]):
            out[shift.committee_id].append(shift.user)
    return out


def responders_on_duty(*, committee: Committee, at: datetime | None = None) -> list[User]:
    return on_duty(committee_ids=[committee.pk], at=at)[committee.pk]


def next_committee_on_duty(*, committee: Committee, at: datetime | None = None) -> tuple[Committee | None, list[User]]:
    """The street's next committee (in code order, after this one, wrapping) that has someone on duty now."""
    others = list(
        Committee.objects.filter(street_id=committee.street_id).exclude(pk=committee.pk).order_by("external_id")
    )
    after = [c for c in others if c.external_id > committee.external_id]
    ordered = after + [c for c in others if c not in after]
    duty = on_duty(committee_ids=[c.pk for c in ordered], at=at)
    for c in ordered:
        if duty[c.pk]:
            return c, duty[c.pk]
    return None, []


def care_leads(*, street: Street | int) -> list[User]:
    street_id = street if isinstance(street, int) else street.pk
    return list(User.objects.filter(is_active=True, roles__street_id=street_id, roles__role=Role.CARE_LEAD).distinct())
