"""Rider credentials: verification by street staff or by a partner's signed assertion, suspension, revocation
and reinstatement (each effective at the next tap: taps read the credential from the database every time),
expiry, and the rider's photo. Delivery partners and their assertion keys.

A partner assertion is a compact JWS with HS256 (a JWT) signed with the partner's key:
    header  {"alg": "HS256", "typ": "JWT", "kid": "<partner code>"}
    payload {"iss": "<partner code>", "aud": "linli:<street code>", "sub": "<rider phone>", "name": "<real name>",
             "rider_id": "<partner's id>", "iat": <unix>, "exp": <unix, at most 10 min after iat>, "jti": "<nonce>",
             "valid_days": <1..365, optional>}
Each `jti` is accepted once (kept until the assertion's exp).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.access.models import AssertionNonce, CredentialStatus, Partner, RiderCredential, VerifiedBy
from linli.core.errors import Problem, field_error
from linli.core.models import Role, Street, User
from linli.core.phones import InvalidPhone, mask_phone, normalize_phone
from linli.core.photos import photo_process
from linli.core.services import audit_log, role_assign, user_get_or_create, user_update

DEFAULT_DAYS = 180
MAX_DAYS = 3 * 365
ASSERTION_MAX_LIFETIME = 600
ASSERTION_CLOCK_SKEW = 60
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc


# ----------------------------------------------------------------------------------------------- partners


def _code_for(name: str) -> str:
    known = {
        "饿了么": "eleme",
        "美团": "meituan",
        "美团外卖": "meituan",
        "顺丰": "sf",
        "达达": "dada",
        "闪送": "shansong",
    }
    if name in known:
        return known[name]
    ascii_code = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-")
    return ascii_code if _CODE.match(ascii_code) else "p-" + hashlib.sha256(name.encode()).hexdigest()[:8]


@transaction.atomic
def partner_get_or_create(*, street: Street, name: str, actor: User | None = None) -> tuple[Partner, bool]:
    """The street's partner by code or name; created (code from the name) when unknown."""
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise Problem("validation_error", errors=[field_error("partner", _("请填写配送平台"))])
    found = (
        Partner.objects.filter(street=street).filter(code=name).first()
        or Partner.objects.filter(street=street, name=name).first()
    )
    if found is not None:
        return found, False
    partner = Partner.objects.create(street=street, code=_code_for(name), name=name)
    audit_log(actor=actor, action="access.partner_create", street=street, obj=partner, data={"name": name})
    return partner, True


@transaction.atomic
def partner_key_new(*, partner: Partner, actor: User | None = None) -> str:
    """A new assertion key for the partner (base64url of 32 random bytes), returned to hand to the partner."""
    key = _b64url(secrets.token_bytes(32))
    Partner.objects.filter(pk=partner.pk).update(assertion_key=key)
    partner.assertion_key = key
    audit_log(actor=actor, action="access.partner_key", street=partner.street, obj=partner)
    return key


# -------------------------------------------------------------------------------------------- credentials


def credential_active(credential: RiderCredential | None, now: datetime) -> bool:
    return credential is not None and credential.status == CredentialStatus.VERIFIED and credential.expires_at > now


def _verify(
    *,
    street: Street,
    user: User,
    partner: Partner,
    real_name: str,
    days: int,
    verified_by: str,
    partner_rider_id: str = "",
    actor: User | None,
) -> RiderCredential:
    real_name = (real_name or "").strip()
    errors = []
    if not real_name or len(real_name) > 40:
        errors.append(field_error("name", _("请填写骑手真实姓名")))
    if not (1 <= days <= MAX_DAYS):
        errors.append(field_error("days", format_lazy(_("有效期应为 1 到 {max} 天"), max=MAX_DAYS)))
    if partner.street_id != street.pk:
        errors.append(field_error("partner", _("配送平台不属于该街道")))
    if errors:
        raise Problem("validation_error", errors=errors)
    now = timezone.now()
    credential, created = RiderCredential.objects.select_for_update().get_or_create(
        user=user,
        street=street,
        defaults={"partner": partner, "real_name": real_name, "expires_at": now + timedelta(days=days)},
    )
    credential.partner = partner
    credential.real_name = real_name
    credential.partner_rider_id = partner_rider_id[:64]
    credential.status = CredentialStatus.VERIFIED
    credential.verified_by = verified_by
    credential.verified_at = now
    credential.expires_at = now + timedelta(days=days)
    credential.updated_at = now
    credential.save()
    if user.display_name != real_name:
        # One name everywhere (meals' runs, cases, the gate): the person's own, set to the name staff verified.
        user_update(user=user, display_name=real_name)
    role_assign(user=user, street=street, role=Role.RIDER, actor=actor)
    audit_log(
        actor=actor,
        action="access.rider_verify",
        street=street,
        obj=credential,
        data={"rider": mask_phone(user.phone), "partner": partner.code, "by": verified_by, "days": days},
    )
    return credential


@transaction.atomic
def rider_verify(
    *,
    street: Street,
    phone: str,
    partner: str,
    real_name: str = "",
    days: int = DEFAULT_DAYS,
    actor: User | None,
) -> RiderCredential:
    """Staff approval: the rider (by phone) is verified in `street` for `partner` (code or name; created when the
    street does not know it yet) for `days`. Re-verifying a suspended or revoked rider reinstates them."""
    user = user_get_or_create(phone=phone)
    partner_obj, _ = partner_get_or_create(street=street, name=partner, actor=actor)
    existing = RiderCredential.objects.filter(user=user, street=street).first()
    name = real_name or (existing.real_name if existing else "") or user.display_name
    return _verify(
        street=street,
        user=user,
        partner=partner_obj,
        real_name=name,
        days=days,
        verified_by=VerifiedBy.STAFF,
        actor=actor,
    )


def _set_status(*, credential: RiderCredential, status: str, action: str, actor: User | None) -> RiderCredential:
    now = timezone.now()
    RiderCredential.objects.filter(pk=credential.pk).update(status=status, updated_at=now)
    credential.status, credential.updated_at = status, now
    audit_log(
        actor=actor,
        action=action,
        street=credential.street,
        obj=credential,
        data={"rider": mask_phone(credential.user.phone)},
    )
    return credential


@transaction.atomic
def rider_suspend(*, credential: RiderCredential, actor: User | None) -> RiderCredential:
    return _set_status(
        credential=credential, status=CredentialStatus.SUSPENDED, action="access.rider_suspend", actor=actor
    )


@transaction.atomic
def rider_revoke(*, credential: RiderCredential, actor: User | None) -> RiderCredential:
    return _set_status(
        credential=credential, status=CredentialStatus.REVOKED, action="access.rider_revoke", actor=actor
    )


@transaction.atomic
def rider_reinstate(*, credential: RiderCredential, actor: User | None) -> RiderCredential:
    """A suspended rider may enter again (a revoked one needs a new verification)."""
    if credential.status != CredentialStatus.SUSPENDED:
        raise Problem(
            "validation_error",
            detail=_("只有已暂停的骑手可以恢复；已吊销的骑手需要重新认证"),
        )
    return _set_status(
        credential=credential, status=CredentialStatus.VERIFIED, action="access.rider_reinstate", actor=actor
    )


def rider_photo_set(*, credential: RiderCredential, upload: Any, actor: User | None) -> RiderCredential:
    """Validate and re-encode the rider's photo (no metadata kept) and store it. The photo is processed before
    the transaction opens (decoding inside it would hold the database's write lock)."""
    processed = photo_process(upload, max_side=800)
    with transaction.atomic():
        old = credential.photo.name if credential.photo else ""
        credential.photo.save(f"{secrets.token_hex(12)}.jpg", ContentFile(processed.content), save=False)
        credential.updated_at = timezone.now()
        credential.save(update_fields=["photo", "updated_at"])
        if old:
            transaction.on_commit(lambda: credential.photo.storage.delete(old))
        audit_log(actor=actor, action="access.rider_photo", street=credential.street, obj=credential)
    return credential


def credentials_by_phone(*, phone: str, street: Street | None = None) -> list[RiderCredential]:
    try:
        normalized = normalize_phone(phone)
    except InvalidPhone:
        raise Problem("invalid_phone") from None
    qs = RiderCredential.objects.filter(user__phone=normalized).select_related("street", "user", "partner")
    if street is not None:
        qs = qs.filter(street=street)
    return list(qs)


# ------------------------------------------------------------------------------------ partner assertions


def _bad(why: str) -> Problem:
    """`why` is a technical reason in English for the partner's developers (not translated)."""
    return Problem("permission_denied", detail=format_lazy(_("平台签名认证无效：{why}"), why=why))


def make_assertion(*, key: str, claims: dict[str, Any], kid: str) -> str:
    """Sign `claims` as a partner would (the partners' reference implementation; tests and the demo use it)."""
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}, separators=(",", ":")).encode())
    payload = _b64url(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
    signing_input = f"{header}.{payload}".encode("ascii")
    mac = hmac.new(_b64url_decode(key), signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64url(mac)}"


@transaction.atomic
def rider_verify_assertion(*, assertion: str) -> RiderCredential:
    """Verify a partner's signed assertion and verify the rider it names. Raises `permission_denied` for a bad
    signature, an unknown or keyless partner, another street, an expired or replayed assertion."""
    if not isinstance(assertion, str) or len(assertion) > 4096 or assertion.count(".") != 2:
        raise _bad("not a compact JWS")
    header_b64, payload_b64, sig_b64 = assertion.split(".")
    try:
        header = json.loads(_b64url_decode(header_b64))
        claims = json.loads(_b64url_decode(payload_b64))
        sig = _b64url_decode(sig_b64)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _bad("undecodable") from exc
    if not isinstance(header, dict) or not isinstance(claims, dict) or header.get("alg") != "HS256":
        raise _bad("only HS256 is accepted")
    aud = claims.get("aud")
    street_code = aud[6:] if isinstance(aud, str) and aud.startswith("linli:") else None
    partner = (
        Partner.objects.select_related("street")
        .filter(street__code=street_code, code=str(header.get("kid") or ""), active=True)
        .exclude(assertion_key="")
        .first()
        if street_code
        else None
    )
    if partner is None:
        raise _bad("unknown partner or street")
    expected = hmac.new(
        _b64url_decode(partner.assertion_key), f"{header_b64}.{payload_b64}".encode("ascii"), hashlib.sha256
    ).digest()
    if not hmac.compare_digest(sig, expected):
        raise _bad("bad signature")
    now = int(timezone.now().timestamp())
    iat, exp, jti = claims.get("iat"), claims.get("exp"), claims.get("jti")
    if claims.get("iss") != partner.code:
        raise _bad("issuer does not match the key")
    if not isinstance(iat, int) or not isinstance(exp, int) or not isinstance(jti, str) or not (8 <= len(jti) <= 64):
        raise _bad("iat, exp and jti are required")
    if iat > now + ASSERTION_CLOCK_SKEW or exp < now or exp - iat > ASSERTION_MAX_LIFETIME:
        raise _bad("expired or too long-lived")
    days = claims.get("valid_days", DEFAULT_DAYS)
    if not isinstance(days, int) or not (1 <= days <= 365):
        raise _bad("valid_days must be 1 to 365")
    AssertionNonce.objects.filter(expires_at__lt=timezone.now()).delete()
    try:
        with transaction.atomic():
            AssertionNonce.objects.create(
                partner=partner, jti=jti, expires_at=datetime.fromtimestamp(exp, tz=timezone.get_current_timezone())
            )
    except IntegrityError as exc:
        raise _bad("replayed") from exc
    try:
        user = user_get_or_create(phone=str(claims.get("sub") or ""))
    except Problem as exc:
        raise _bad("sub is not a mobile number") from exc
    return _verify(
        street=partner.street,
        user=user,
        partner=partner,
        real_name=str(claims.get("name") or ""),
        days=days,
        verified_by=VerifiedBy.PARTNER,
        partner_rider_id=str(claims.get("rider_id") or ""),
        actor=None,
    )
