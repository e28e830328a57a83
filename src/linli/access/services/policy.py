"""Each compound's access policy: rider access on or off, allowed hours (may cross midnight), allowed partners,
other streets' riders, and the entries per rider per hour."""

from __future__ import annotations

import re
from datetime import datetime
from datetime import time as dtime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.access.models import AccessPolicy, Partner
from linli.core.errors import Problem, field_error
from linli.core.models import Compound, User
from linli.core.services import audit_log

_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
UNSET: Any = object()


def parse_hours(text: str) -> tuple[dtime | None, dtime | None]:
    """ "HH:MM-HH:MM" -> (from, until); "" or "00:00-24:00" -> (None, None), i.e. all day. 22:00-06:00 crosses
    midnight. Raises Problem on a bad shape or an empty span."""
    text = (text or "").strip().replace("—", "-").replace("–", "-").replace(" ", "")
    if not text or text in ("00:00-24:00", "00:00-00:00"):
        return None, None
    m = _HOURS.match(text)
    if not m or (m.group(3) == "24" and m.group(4) != "00"):
        raise Problem(
            "validation_error",
            errors=[field_error("hours", _("时段格式应为 HH:MM-HH:MM，例如 07:00-22:00"))],
        )
    start = dtime(int(m.group(1)), int(m.group(2)))
    end = dtime(0, 0) if m.group(3) == "24" else dtime(int(m.group(3)), int(m.group(4)))
    if start == end:
        raise Problem(
            "validation_error",
            errors=[field_error("hours", _("开始和结束时间不能相同"))],
        )
    return start, end


def hours_text(policy: AccessPolicy | None) -> str:
    if policy is None or policy.hours_from is None or policy.hours_until is None:
        return ""
    until = "24:00" if policy.hours_until == dtime(0, 0) else policy.hours_until.strftime("%H:%M")
    return f"{policy.hours_from:%H:%M}-{until}"


def within_hours(policy: AccessPolicy | None, at: datetime) -> bool:
    """Whether local time `at` is inside the policy's hours; [from, until) with until 00:00 meaning midnight."""
    if policy is None or policy.hours_from is None or policy.hours_until is None:
        return True
    t = timezone.localtime(at).time()
    start, end = policy.hours_from, policy.hours_until
    if end == dtime(0, 0):
        return t >= start
    if start < end:
        return start <= t < end
    return t >= start or t < end  # across midnight


@transaction.atomic
def policy_set(
    *,
    compound: Compound,
    actor: User | None,
    riders_allowed: bool | None = None,
    hours: str | None = None,
    partners: list[str] | None = None,
    other_streets: bool | None = None,
    max_per_hour: int | None = UNSET,
) -> AccessPolicy:
    """Change the given parts of a compound's policy (others unchanged). `max_per_hour` None: no limit."""
    policy, _created = AccessPolicy.objects.select_for_update().get_or_create(compound=compound)
    if riders_allowed is not None:
        policy.riders_allowed = riders_allowed
    if hours is not None:
        policy.hours_from, policy.hours_until = parse_hours(hours)
    if partners is not None:
        codes = sorted({p.strip() for p in partners if p and p.strip()})
        known = dict(Partner.objects.filter(street_id=compound.street_id).values_list("code", "name"))
        by_name = {name: code for code, name in known.items()}
        resolved = []
        for value in codes:
            code = value if value in known else by_name.get(value)
            if code is None:
                raise Problem(
                    "validation_error",
                    errors=[
                        field_error(
                            "partners",
                            format_lazy(_("本街道没有配送平台 {partner}"), partner=value),
                        )
                    ],
                )
            resolved.append(code)
        policy.partners = sorted(set(resolved))
    if other_streets is not None:
        policy.other_streets = other_streets
    if max_per_hour is not UNSET:
        if max_per_hour is not None and not (1 <= int(max_per_hour) <= 1000):
            raise Problem(
                "validation_error",
                errors=[field_error("max_per_hour", _("每小时次数应在 1 到 1000 之间"))],
            )
        policy.max_per_hour = max_per_hour
    policy.updated_at = timezone.now()
    policy.save()
    audit_log(actor=actor, action="access.policy_set", street=compound.street, obj=compound, data=policy_dict(policy))
    return policy


def policy_get(*, compound: Compound) -> AccessPolicy | None:
    return AccessPolicy.objects.filter(compound=compound).first()


def policy_dict(policy: AccessPolicy | None) -> dict[str, Any]:
    if policy is None:
        return {"riders_allowed": True, "hours": "", "partners": [], "other_streets": False, "max_per_hour": None}
    return {
        "riders_allowed": policy.riders_allowed,
        "hours": hours_text(policy),
        "partners": list(policy.partners or []),
        "other_streets": policy.other_streets,
        "max_per_hour": policy.max_per_hour,
    }
