"""Access reads and the tenancy rules of gate access.

- A property manager (role `property_manager` in the street) manages the compounds they are assigned to
  (`CompoundManager`): their gates, policy and access log; nothing of any other compound.
- Street administrators manage every compound of their street; street staff (administrators and safety officers)
  read the whole street's access log and alerts.
- Rider credentials are issued by a street's administrators or station staff (or a partner's signed assertion).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import get_language, gettext, gettext_lazy

from linli.access.models import AccessAlert, Gate, Partner, RiderCredential, Tap
from linli.core.errors import Problem
from linli.core.i18n import Text, in_language
from linli.core.models import Compound, Role, RoleAssignment, Street, User
from linli.core.phones import InvalidPhone, mask_phone, normalize_phone
from linli.core.selectors import user_street_ids
from linli.core.spreadsheets import CsvWriter

MANAGER_ROLES = (Role.PROPERTY_MANAGER,)
STREET_MANAGE_ROLES = (Role.ADMIN,)
AUDIT_STREET_ROLES = (Role.ADMIN, Role.SAFETY_OFFICER)
RIDER_STAFF_ROLES = (Role.ADMIN, Role.STATION_STAFF)

# Stable deny codes, with the words a rider reads on the red screen.
REASONS: dict[str, Text] = {
    "token_expired": gettext_lazy("二维码已过期，请重新扫描门上的二维码"),
    "token_invalid": gettext_lazy("二维码无效，请扫描门上的二维码"),
    "rider_unverified": gettext_lazy("您还不是认证骑手，请先完成认证"),
    "rider_suspended": gettext_lazy("您的骑手通行资格已暂停"),
    "outside_hours": gettext_lazy("当前不在允许骑手通行的时段"),
    "partner_not_allowed": gettext_lazy("该小区不对您所在的配送平台开放"),
    "rate_limited": gettext_lazy("进出过于频繁，请稍后再试"),
    "gate_offline": gettext_lazy("门禁设备离线，请联系物业"),
    "too_far": gettext_lazy("您离这道门太远了，请到门前再扫码"),
}


def reason_text(reason: str, lang: str = "zh-hans") -> str:
    return in_language(REASONS.get(reason, reason), lang)


# The same reasons in a few words, for staff reading a list of taps (the filter, the audit and gate pages).
REASON_LABELS: dict[str, Any] = {
    "token_expired": gettext_lazy("二维码过期"),
    "token_invalid": gettext_lazy("二维码无效"),
    "rider_unverified": gettext_lazy("未认证"),
    "rider_suspended": gettext_lazy("已暂停"),
    "outside_hours": gettext_lazy("不在通行时段"),
    "partner_not_allowed": gettext_lazy("配送平台不允许"),
    "rate_limited": gettext_lazy("次数超限"),
    "gate_offline": gettext_lazy("门禁离线"),
    "too_far": gettext_lazy("距离太远"),
}
# What became of an allowed tap's open command (`Tap.outcome`), in words.
OUTCOME_LABELS: dict[str, Any] = {
    "opened": gettext_lazy("已开门"),
    "pending": gettext_lazy("等待门禁回应"),
    "timeout": gettext_lazy("门禁未回应"),
    "queued": gettext_lazy("等待门禁取指令"),
    "broker_down": gettext_lazy("消息服务不可用"),
}

# Why a controller refused an open command ("refused:<why>"): see gatewire.protocol.REFUSE_REASONS.
REFUSAL_LABELS: dict[str, Any] = {
    "malformed": gettext_lazy("指令格式错误"),
    "bad_mac": gettext_lazy("签名不符"),
    "wrong_gate": gettext_lazy("不是这道门的指令"),
    "expired": gettext_lazy("指令已过期，请核对门禁时钟"),
    "exp_too_far": gettext_lazy("指令时间超前，请核对门禁时钟"),
    "replayed": gettext_lazy("重复的指令"),
}


def reason_label(reason: str) -> str:
    return str(REASON_LABELS.get(reason, reason))


def outcome_label(outcome: str) -> str:
    """E.g. "opened" -> 已开门, "refused:expired" -> 门禁拒绝：指令已过期…"""
    if outcome.startswith("refused:"):
        why = outcome.split(":", 1)[1]
        return gettext("门禁拒绝：%(why)s") % {"why": REFUSAL_LABELS.get(why, why)}
    return str(OUTCOME_LABELS.get(outcome, outcome))


# ------------------------------------------------------------------------------------------ permissions


def managed_compound_ids(user: User) -> set[int]:
    """Compounds whose gates and policy `user` may change: assigned ones (as property manager of that street)
    and every compound of a street where the user is an administrator."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    if user.is_superuser:
        return set(Compound.objects.values_list("id", flat=True))
    admin_streets = user_street_ids(user, roles=STREET_MANAGE_ROLES)
    pm_streets = user_street_ids(user, roles=MANAGER_ROLES)
    ids = set(Compound.objects.filter(managers__user=user, street_id__in=pm_streets).values_list("id", flat=True))
    if admin_streets:
        ids |= set(Compound.objects.filter(street_id__in=admin_streets).values_list("id", flat=True))
    return ids


def audit_scope(user: User) -> Q | None:
    """The taps (and alerts) a user may read, as a filter on `compound_id`/`street_id`; None: nothing."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if user.is_superuser:
        return Q()
    streets = user_street_ids(user, roles=AUDIT_STREET_ROLES)
    compounds = managed_compound_ids(user)
    if not streets and not compounds:
        return None
    return Q(street_id__in=streets) | Q(compound_id__in=compounds)


def compound_list_for_manager(user: User) -> QuerySet[Compound]:
    return (
        Compound.objects.filter(id__in=managed_compound_ids(user))
        .select_related("street")
        .order_by("street__code", "external_id")
    )


def compound_for_manager(*, user: User, compound_id: int) -> Compound:
    """The compound if `user` manages it; `not_found` otherwise (never reveals other compounds)."""
    if not getattr(user, "is_authenticated", False):
        raise Problem("not_authenticated")
    if compound_id not in managed_compound_ids(user):
        raise Problem("not_found")
    return Compound.objects.select_related("street").get(pk=compound_id)


def compound_by_external_id(*, external_id: str, street: str | None = None) -> Compound:
    """For the CLI: the compound by external id (and street code when the id is used in several streets)."""
    qs = Compound.objects.filter(external_id=external_id).select_related("street")
    if street:
        qs = qs.filter(street__code=street)
    found = list(qs[:2])
    if not found:
        raise Problem("not_found", detail=format_lazy(gettext_lazy("没有小区 {external_id}"), external_id=external_id))
    if len(found) > 1:
        raise Problem(
            "validation_error",
            detail=format_lazy(
                gettext_lazy("多个街道都有小区 {external_id}，请用 --street 指明"), external_id=external_id
            ),
        )
    return found[0]


def gate_for_manager(*, user: User, public_id: str) -> Gate:
    gate = Gate.objects.select_related("compound", "street").filter(public_id=public_id).first()
    if gate is None or gate.compound_id not in managed_compound_ids(user):
        raise Problem("not_found")
    return gate


def gate_list(compound_ids: set[int] | list[int]) -> QuerySet[Gate]:
    return (
        Gate.objects.filter(compound_id__in=compound_ids)
        .select_related("compound")
        .order_by("compound__external_id", "name")
    )


def rider_staff_streets(user: User) -> list[Street]:
    ids = user_street_ids(user, roles=RIDER_STAFF_ROLES)
    return list(Street.objects.filter(id__in=ids).order_by("code"))


def require_rider_staff(user: User, street: Street) -> None:
    if not getattr(user, "is_authenticated", False):
        raise Problem("not_authenticated")
    if street.pk not in user_street_ids(user, roles=RIDER_STAFF_ROLES):
        raise Problem("permission_denied")


def credential_list_for_street(street: Street) -> QuerySet[RiderCredential]:
    return RiderCredential.objects.filter(street=street).select_related("user", "partner").order_by("-verified_at")


def credential_for_rider(*, user: User, street_id: int) -> RiderCredential | None:
    return RiderCredential.objects.select_related("partner").filter(user=user, street_id=street_id).first()


def partner_list(street: Street) -> QuerySet[Partner]:
    return Partner.objects.filter(street=street, active=True).order_by("code")


def rider_streets(user: User) -> list[int]:
    return list(RoleAssignment.objects.filter(user=user, role=Role.RIDER).values_list("street_id", flat=True))


# ------------------------------------------------------------------------------------------- audit search


def _day_start(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, time.min))


def tap_search(
    *,
    user: User,
    phone: str | None = None,
    gate: str | None = None,
    compound_id: int | None = None,
    decision: str | None = None,
    reason: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Tap]:
    """The taps `user` may read, filtered; newest first. Unknown or foreign filters simply match nothing."""
    scope = audit_scope(user)
    if scope is None:
        raise Problem("permission_denied")
    qs = Tap.objects.filter(scope).select_related("gate", "compound", "rider", "credential__partner")
    if phone:
        try:
            qs = qs.filter(rider__phone=normalize_phone(phone))
        except InvalidPhone:
            qs = qs.filter(rider__phone__endswith=phone.strip()[-4:]) if phone.strip()[-4:].isdigit() else qs.none()
    if gate:
        qs = qs.filter(gate__public_id=gate)
    if compound_id:
        # Through the compound's gates too (a tap's compound is its gate's): the (gate, -at) index then reads only
        # the period asked for, where the compound's own index would read every tap of its history.
        gates = list(Gate.objects.filter(compound_id=compound_id).values_list("pk", flat=True))
        qs = qs.filter(compound_id=compound_id, gate_id__in=gates)
    if decision:
        qs = qs.filter(decision=decision)
    if reason:
        qs = qs.filter(reason=reason)
    if date_from:
        qs = qs.filter(at__gte=_day_start(date_from))
    if date_to:
        qs = qs.filter(at__lt=_day_start(date_to + timedelta(days=1)))
    return qs.order_by("-at", "-id")


def tap_row(tap: Tap) -> dict[str, Any]:
    credential = tap.credential
    return {
        "id": tap.pk,
        "at": timezone.localtime(tap.at).isoformat(),
        "gate": tap.gate.public_id if tap.gate else None,
        "gate_name": tap.gate.name if tap.gate else "",
        "compound": tap.compound.name if tap.compound else "",
        "rider": mask_phone(tap.rider.phone) if tap.rider else None,
        "rider_name": str(tap.rider) if tap.rider else "",
        "partner": credential.partner.name if credential else "",
        "decision": tap.decision,
        "reason": tap.reason,
        "reason_text": reason_text(tap.reason, get_language() or "zh-hans") if tap.reason else "",
        "reason_label": reason_label(tap.reason) if tap.reason else "",
        "outcome": tap.outcome,
        "outcome_label": outcome_label(tap.outcome) if tap.outcome else "",
        "opened": tap.opened,
        "distance_m": tap.distance_m,
    }


CSV_COLUMNS = [
    "时间 time",
    "小区 compound",
    "门禁 gate",
    "骑手 rider",
    "姓名 name",
    "平台 partner",
    "结果 decision",
    "原因 reason",
    "开门结果 command result",
    "距离（米）distance (m)",
]


def taps_csv(qs: QuerySet[Tap]) -> bytes:
    """UTF-8 with a BOM (Excel shows the Chinese); phones masked; formula-like cells neutralised."""
    writer = CsvWriter()
    writer.row(CSV_COLUMNS)
    for tap in qs.iterator(chunk_size=500):
        row = tap_row(tap)
        writer.row(
            [
                row["at"],
                row["compound"],
                f"{row['gate_name']} ({row['gate']})" if row["gate"] else "",
                row["rider"] or "",
                row["rider_name"],
                row["partner"],
                row["decision"],
                row["reason"],
                row["outcome"],
                "" if row["distance_m"] is None else row["distance_m"],
            ]
        )
    return writer.bytes()


def alert_list_for_user(user: User, *, days: int = 7) -> QuerySet[AccessAlert]:
    scope = audit_scope(user)
    if scope is None:
        return AccessAlert.objects.none()
    since = timezone.now() - timedelta(days=days)
    return AccessAlert.objects.filter(scope, at__gte=since).select_related("gate", "compound", "rider")


# -------------------------------------------------------------------------------- riders meals may not use

HOLD_REASONS: dict[str, Text] = {
    "suspended": gettext_lazy("该骑手的资格已暂停，不能派单"),
    "revoked": gettext_lazy("该骑手的认证已撤销，不能派单"),
    "expired": gettext_lazy("该骑手的认证已过期，请先续期"),
}


def riders_on_hold(*, street: Any, user_ids: list[int], now: datetime | None = None) -> dict[int, Text]:
    """Registered into meals' `rider_hold_register`: the riders whose credential in `street` is suspended,
    revoked or expired are not offered for a run. A rider without a credential here is left to meals' own
    rule (the street's rider role)."""
    now = now or timezone.now()
    held: dict[int, Text] = {}
    rows = RiderCredential.objects.filter(street=street, user_id__in=user_ids).values_list(
        "user_id", "status", "expires_at"
    )
    for user_id, status, expires_at in rows:
        if status != "verified":
            held[user_id] = HOLD_REASONS.get(status, HOLD_REASONS["suspended"])
        elif expires_at <= now:
            held[user_id] = HOLD_REASONS["expired"]
    return held
