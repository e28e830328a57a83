"""Core writes: streets, people, roles, API tokens, SMS sign-in codes and the audit log.

Every function is `<entity>_<verb>(*, ...)`, runs in one transaction and schedules side effects on commit.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core import ratelimit
from linli.core.auth import token_cache_forget, token_digest
from linli.core.errors import Problem, field_error
from linli.core.i18n import Text
from linli.core.models import ApiToken, AuditLog, Grid, Role, RoleAssignment, SmsCode, Street, User
from linli.core.phones import InvalidPhone, mask_phone, normalize_phone
from linli.core.sms import SmsSendError, get_sms_backend

logger = logging.getLogger("linli.core")

_STREET_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
# Cap on codes requested from one IP address per hour (a compound's shared Wi-Fi needs some headroom).
SMS_CODES_PER_IP_PER_HOUR = 30


def _phone(raw: str, field: str = "phone") -> str:
    try:
        return normalize_phone(raw)
    except InvalidPhone:
        raise Problem(
            "invalid_phone",
            detail=_("请输入11位中国大陆手机号"),
            errors=[field_error(field, _("手机号格式不正确"))],
        ) from None


# ---------------------------------------------------------------------------------------------- audit


def audit_log(
    *,
    actor: User | None,
    action: str,
    street: Street | None = None,
    obj: models.Model | None = None,
    data: dict[str, Any] | None = None,
) -> AuditLog:
    """Append one audit record. Callers pass masked phones only in `data`."""
    return AuditLog.objects.create(
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        street=street,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        data=data or {},
    )


# --------------------------------------------------------------------------------------------- streets


@transaction.atomic
def street_create(
    *,
    code: str,
    name: str,
    district: str = "",
    name_en: str = "",
    hotline: str = "",
    center_lat: float | None = None,
    center_lng: float | None = None,
    is_sample: bool = False,
    actor: User | None = None,
) -> Street:
    code = (code or "").strip()
    name = (name or "").strip()
    errors = []
    if not _STREET_CODE.match(code):
        errors.append(
            field_error(
                "code",
                _("街道代码只能使用小写字母、数字、- 和 _，不超过40个字符"),
            )
        )
    if not name:
        errors.append(field_error("name", _("请填写街道名称")))
    if (center_lat is None) != (center_lng is None):
        errors.append(field_error("center", _("经纬度需同时填写")))
    elif (
        center_lat is not None
        and center_lng is not None
        and not (-90 <= center_lat <= 90 and -180 <= center_lng <= 180)
    ):
        errors.append(field_error("center", _("经纬度超出范围")))
    if errors:
        raise Problem("validation_error", errors=errors)
    if Street.objects.filter(code=code).exists():
        raise Problem("street_exists", detail=format_lazy(_("街道代码 {code} 已存在"), code=code))
    from linli.core.street_defaults import street_defaults_apply

    try:
        with transaction.atomic():
            street = Street.objects.create(
                code=code,
                name=name,
                district=(district or "").strip(),
                name_en=(name_en or "").strip(),
                hotline=(hotline or "").strip(),
                center_lat=center_lat,
                center_lng=center_lng,
                is_sample=is_sample,
            )
            # Every capability's per-street defaults (case categories, ...): a new street works at once.
            defaults = street_defaults_apply(street=street)
    except IntegrityError:
        raise Problem("street_exists", detail=format_lazy(_("街道代码 {code} 已存在"), code=code)) from None
    audit_log(actor=actor, action="street.create", street=street, obj=street, data={"code": code, "defaults": defaults})
    return street


# ----------------------------------------------------------------------------------------------- users


@transaction.atomic
def user_get_or_create(*, phone: str, display_name: str = "") -> User:
    normalized = _phone(phone)
    user = User.objects.filter(phone=normalized).first()
    if user is not None:
        return user
    try:
        with transaction.atomic():
            user = User.objects.create_user(normalized, display_name=(display_name or "").strip()[:50])
    except IntegrityError:  # created concurrently
        return User.objects.get(phone=normalized)
    logger.info("user created for %s", mask_phone(normalized))
    return user


# The earliest birth year a person may give (a typo such as 1049 is refused rather than made 977 years old).
BIRTH_YEAR_MIN = 1900
KEEP = object()  # user_update: leave the field as it is (None clears the birth year)


@transaction.atomic
def user_update(
    *,
    user: User,
    display_name: str | None = None,
    elder_mode: bool | None = None,
    language: str | None = None,
    birth_year: Any = KEEP,
) -> User:
    """Change a person's own settings. `birth_year` is only the year (PIPL: enough for the elder tiers and the
    elders' activities); None clears it."""
    fields = []
    if display_name is not None:
        display_name = display_name.strip()
        if len(display_name) > 50:
            raise Problem(
                "validation_error",
                errors=[field_error("display_name", _("称呼不能超过50个字"))],
            )
        user.display_name = display_name
        fields.append("display_name")
    if elder_mode is not None:
        user.elder_mode = bool(elder_mode)
        fields.append("elder_mode")
    if language is not None:
        codes = {code for code, _ in settings.LANGUAGES}
        if language and language not in codes:
            raise Problem(
                "validation_error",
                errors=[
                    field_error(
                        "language", format_lazy(_("不支持该语言，可用：{codes}"), codes=", ".join(sorted(codes)))
                    )
                ],
            )
        user.language = language
        fields.append("language")
    if birth_year is not KEEP:
        this_year = timezone.localdate().year
        if birth_year is not None and not (BIRTH_YEAR_MIN <= int(birth_year) <= this_year):
            raise Problem(
                "validation_error",
                errors=[
                    field_error(
                        "birth_year",
                        format_lazy(_("出生年份应在 {first} 到 {last} 之间"), first=BIRTH_YEAR_MIN, last=this_year),
                    )
                ],
            )
        user.birth_year = None if birth_year is None else int(birth_year)
        fields.append("birth_year")
    if fields:
        user.save(update_fields=fields)
    return user


# ----------------------------------------------------------------------------------------------- roles


@transaction.atomic
def role_assign(
    *, user: User, street: Street, role: str, grid: Grid | None = None, actor: User | None = None
) -> RoleAssignment:
    if role not in Role.values:
        raise Problem(
            "unknown_role",
            detail=format_lazy(_("没有角色 {role}，可用：{roles}"), role=repr(role), roles=", ".join(Role.values)),
            errors=[field_error("role", _("没有这个角色"))],
        )
    if grid is not None and grid.street_id != street.pk:
        raise Problem(
            "validation_error",
            errors=[field_error("grid", _("网格不属于该街道"))],
        )
    assignment, created = RoleAssignment.objects.get_or_create(
        user=user, street=street, role=role, defaults={"grid": grid}
    )
    if not created and grid is not None and assignment.grid_id != grid.pk:
        assignment.grid = grid
        assignment.save(update_fields=["grid"])
    if created:
        audit_log(
            actor=actor,
            action="role.assign",
            street=street,
            obj=assignment,
            data={"user": mask_phone(user.phone), "role": role},
        )
    return assignment


@transaction.atomic
def role_revoke(*, user: User, street: Street, role: str, actor: User | None = None) -> bool:
    """Remove the role; return False when the user did not hold it."""
    deleted, _ = RoleAssignment.objects.filter(user=user, street=street, role=role).delete()
    if deleted:
        audit_log(actor=actor, action="role.revoke", street=street, data={"user": mask_phone(user.phone), "role": role})
    return bool(deleted)


# ---------------------------------------------------------------------------------------------- tokens


@transaction.atomic
def token_create(*, user: User, name: str = "", actor: User | None = None) -> str:
    """Create a bearer token; the raw value is returned once and never stored."""
    raw = "ll_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=(name or "")[:100], prefix=raw[:10], digest=token_digest(raw))
    audit_log(actor=actor or user, action="token.create", obj=token, data={"user": mask_phone(user.phone)})
    return raw


@transaction.atomic
def token_revoke(*, user: User, raw: str | None = None, prefix: str | None = None, actor: User | None = None) -> int:
    """Revoke the user's tokens (one by raw value or prefix, else all); return how many were revoked."""
    qs = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
    if raw is not None:
        qs = qs.filter(digest=token_digest(raw))
    if prefix is not None:
        qs = qs.filter(prefix=prefix)
    digests = list(qs.values_list("digest", flat=True))
    count = qs.update(revoked_at=timezone.now())
    for digest in digests:  # this process stops accepting them at once; others within TOKEN_CACHE_SECONDS
        token_cache_forget(digest)
    if count:
        audit_log(actor=actor or user, action="token.revoke", data={"user": mask_phone(user.phone), "count": count})
    return count


# ------------------------------------------------------------------------------------------ SMS codes


@dataclass(frozen=True)
class SmsCodeResult:
    phone: str
    resend_after: int
    expires_in: int


def _code_digest(phone: str, code: str) -> str:
    return salted_hmac("linli.core.sms_code", f"{phone}:{code}", algorithm="sha256").hexdigest()


def _rate_limited(retry_after: int, what: Text) -> Problem:
    return Problem(
        "rate_limited",
        detail=format_lazy(_("{what}，请 {retry_after} 秒后再试"), what=what, retry_after=retry_after),
        extra={"retry_after": retry_after},
    )


def sms_code_send(*, phone: str, ip: str | None = None) -> SmsCodeResult:
    """Issue a 6-digit sign-in code and send it through the configured backend after commit."""
    normalized = _phone(phone)
    ttl = settings.LINLI_SMS_CODE_TTL_SECONDS
    resend = settings.LINLI_SMS_RESEND_SECONDS
    if ip:
        allowed, retry = ratelimit.hit(f"sms:ip:{ip}", SMS_CODES_PER_IP_PER_HOUR, 3600)
        if not allowed:
            raise _rate_limited(retry, _("该网络请求验证码太频繁"))
    allowed, retry = ratelimit.hit(f"sms:resend:{normalized}", 1, resend)
    if not allowed:
        raise _rate_limited(retry, _("验证码已发送"))
    allowed, retry = ratelimit.hit(f"sms:hour:{normalized}", settings.LINLI_SMS_CODES_PER_HOUR, 3600)
    if not allowed:
        raise _rate_limited(retry, _("本小时内获取验证码次数已达上限"))

    code = f"{secrets.randbelow(1_000_000):06d}"
    message = f"【邻里】您的登录验证码是 {code}，{max(1, ttl // 60)} 分钟内有效，请勿告诉他人。"

    def send() -> None:
        try:
            get_sms_backend().send(normalized, message)
        except SmsSendError as exc:
            logger.warning("sms code for %s not sent: %s", mask_phone(normalized), exc)
            ratelimit.reset(f"sms:resend:{normalized}")  # nothing arrived: the person may ask again at once
            raise Problem("sms_unavailable", detail=_("短信网关暂不可用")) from exc

    with transaction.atomic():
        now = timezone.now()
        # A new code supersedes every earlier one.
        SmsCode.objects.filter(phone=normalized, used_at__isnull=True).update(used_at=now)
        SmsCode.objects.create(
            phone=normalized,
            digest=_code_digest(normalized, code),
            created_at=now,
            expires_at=now + timedelta(seconds=ttl),
            ip=ip or None,
        )
        transaction.on_commit(send)
    logger.info("sms code issued for %s", mask_phone(normalized))
    return SmsCodeResult(phone=normalized, resend_after=resend, expires_in=ttl)


def sms_code_verify(*, phone: str, code: str) -> User:
    """Check a sign-in code (constant time, limited attempts, single use); return the user, creating it."""
    normalized = _phone(phone)
    code = (code or "").strip()
    invalid = Problem(
        "sms_code_invalid",
        detail=_("验证码错误或已过期，请重新获取"),
        errors=[field_error("code", _("验证码错误或已过期"))],
    )
    max_attempts = settings.LINLI_SMS_MAX_ATTEMPTS
    with transaction.atomic():
        now = timezone.now()
        row = (
            SmsCode.objects.select_for_update()
            .filter(phone=normalized, used_at__isnull=True, expires_at__gt=now, attempts__lt=max_attempts)
            .order_by("-created_at", "-pk")
            .first()
        )
        if row is None:
            raise invalid
        ok = hmac.compare_digest(row.digest, _code_digest(normalized, code))
        if ok:
            SmsCode.objects.filter(pk=row.pk).update(used_at=now, attempts=F("attempts") + 1)
            user = user_get_or_create(phone=normalized)
        else:
            SmsCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
    if not ok:  # raised after commit so the attempt is counted
        logger.info("wrong sms code for %s", mask_phone(normalized))
        left = max_attempts - row.attempts - 1
        if left > 0:
            invalid.detail = format_lazy(_("验证码错误，还可尝试 {left} 次"), left=left)
        raise invalid
    if not user.is_active:
        raise Problem("permission_denied", detail=_("该账号已停用"))
    logger.info("sign-in by sms code for %s", mask_phone(normalized))
    return user
