"""Access API: the tap, gates (register, change, display link, current QR), compound policies, rider credentials
(staff verification, suspend, revoke, reinstate; partners' signed assertions), the access log with CSV export, and
alerts. Thin: parse, check permission (selectors), call a service, return."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Query, Router
from ninja.responses import Status

from linli.access import selectors
from linli.access.models import AccessAlert, Gate, RiderCredential
from linli.access.schemas import (
    AlertOut,
    AssertionIn,
    CompoundOut,
    CredentialOut,
    DisplayLinkOut,
    GateIn,
    GateOut,
    GatePatch,
    NewGateOut,
    PolicyIO,
    PolicyOut,
    QrOut,
    RiderIn,
    TapFilters,
    TapIn,
    TapOut,
    TapPage,
    TapSearchIn,
)
from linli.access.services import gates as gate_services
from linli.access.services import policy as policy_services
from linli.access.services import riders as rider_services
from linli.access.services.riders import credential_active
from linli.access.services.taps import tap_answer, tap_decide
from linli.core import ratelimit
from linli.core.auth import request_user, require_user
from linli.core.db import replica_reads
from linli.core.downloads import CSV_TYPE, attachment_response
from linli.core.errors import Problem
from linli.core.models import User
from linli.core.phones import mask_phone
from linli.core.schemas import file_answer, problems
from linli.core.selectors import street_get
from linli.core.services import audit_log

router = Router(tags=["access 门禁"])

ASSERTIONS_PER_MINUTE_PER_IP = 60


def _lang(request: HttpRequest) -> str:
    return getattr(request, "LANGUAGE_CODE", "zh-hans") or "zh-hans"


def photo_url(credential: RiderCredential | None) -> str | None:
    if credential is None or not credential.photo:
        return None
    return reverse("access:rider_photo", args=[credential.pk]) + f"?v={int(credential.updated_at.timestamp())}"


# --------------------------------------------------------------------------------------------------- tap


@router.post("/access/taps", response=TapOut, auth=require_user, summary="碰一碰开门 Tap to open a gate (rider)")
def tap(request: HttpRequest, payload: TapIn) -> dict[str, Any]:
    """Present the gate token from the gate's QR code. The answer is a decision, never an error: `deny` comes with
    a stable `reason`. On `allow` the gate is sent a signed single-use open command; `opened` is true only when the
    controller reported that it opened within the wait."""
    result = tap_decide(user=request_user(request), gate_token=payload.gate_token, lat=payload.lat, lng=payload.lng)
    return tap_answer(result, lang=_lang(request), photo_url=photo_url(result.credential))


# ------------------------------------------------------------------------------------------------- gates


def _compound_out(compound: Any, gates: list[Gate]) -> dict[str, Any]:
    now = timezone.now()
    return {
        "id": compound.pk,
        "external_id": compound.external_id,
        "name": compound.name,
        "street": compound.street.code,
        "policy": policy_services.policy_dict(policy_services.policy_get(compound=compound)),
        "gates": [gate_services.gate_dict(g, now) for g in gates],
    }


@router.get("/access/compounds", response=list[CompoundOut], auth=require_user, summary="我管理的小区 My compounds")
def my_compounds(request: HttpRequest) -> list[dict[str, Any]]:
    compounds = list(selectors.compound_list_for_manager(request_user(request)))
    by_compound: dict[int, list[Gate]] = {}
    for gate in selectors.gate_list([c.pk for c in compounds]):
        by_compound.setdefault(gate.compound_id, []).append(gate)
    return [_compound_out(c, by_compound.get(c.pk, [])) for c in compounds]


@router.post(
    "/access/compounds/{compound_id}/gates",
    response={201: NewGateOut},
    auth=require_user,
    summary="登记门禁 Register a gate (property manager)",
)
@problems("not_found", "permission_denied")
def gate_add(request: HttpRequest, compound_id: int, payload: GateIn) -> Status:
    """The answer holds the device secret: shown this once (the platform keeps only keys derived from it)."""
    user = request_user(request)
    compound = selectors.compound_for_manager(user=user, compound_id=compound_id)
    new = gate_services.gate_create(
        compound=compound, name=payload.name, device_id=payload.device_id, transport=payload.transport, actor=user
    )
    return Status(201, {"gate": gate_services.gate_dict(new.gate), "secret": new.secret})


@router.get("/access/gates/{public_id}", response=GateOut, auth=require_user, summary="门禁 A gate")
@problems("not_found")
def gate_get(request: HttpRequest, public_id: str) -> dict[str, Any]:
    return gate_services.gate_dict(selectors.gate_for_manager(user=request_user(request), public_id=public_id))


@router.patch("/access/gates/{public_id}", response=GateOut, auth=require_user, summary="修改门禁 Change a gate")
@problems("not_found")
def gate_patch(request: HttpRequest, public_id: str, payload: GatePatch) -> dict[str, Any]:
    user = request_user(request)
    gate = selectors.gate_for_manager(user=user, public_id=public_id)
    gate_services.gate_update(gate=gate, actor=user, **payload.dict(exclude_none=True))
    return gate_services.gate_dict(gate)


@router.post(
    "/access/gates/{public_id}/display-link",
    response=DisplayLinkOut,
    auth=require_user,
    summary="生成展示链接 New display link (the old one stops working)",
)
@problems("not_found")
def display_link_new(request: HttpRequest, public_id: str) -> dict[str, Any]:
    user = request_user(request)
    gate = selectors.gate_for_manager(user=user, public_id=public_id)
    key = gate_services.gate_display_link_create(gate=gate, actor=user)
    return {"url": gate_services.site_url().rstrip("/") + reverse("access:display_public", args=[key])}


@router.delete(
    "/access/gates/{public_id}/display-link",
    response={204: None},
    auth=require_user,
    summary="撤销展示链接 Revoke the display link",
)
@problems("not_found")
def display_link_revoke(request: HttpRequest, public_id: str) -> Status:
    user = request_user(request)
    gate_services.gate_display_link_revoke(gate=selectors.gate_for_manager(user=user, public_id=public_id), actor=user)
    return Status(204, None)


@router.get("/access/gates/{public_id}/qr", response=QrOut, auth=require_user, summary="当前二维码 Current QR code")
@problems("not_found")
def gate_qr(request: HttpRequest, public_id: str) -> dict[str, Any]:
    return gate_services.gate_qr(selectors.gate_for_manager(user=request_user(request), public_id=public_id))


@router.get("/access/display/{key}/qr", response=QrOut, summary="展示屏二维码 The display screen's QR code")
@problems("not_found")
def display_qr(request: HttpRequest, key: str) -> dict[str, Any]:
    """For the screen at the gate, by its display key (no sign-in). A revoked or unknown key is 404."""
    gate = Gate.objects.filter(display_key=key, active=True).first() if len(key) >= 40 else None
    if gate is None:
        raise Problem("not_found")
    return gate_services.gate_qr(gate)


# ------------------------------------------------------------------------------------------------ policy


@router.get("/access/compounds/{compound_id}/policy", response=PolicyOut, auth=require_user, summary="通行策略 Policy")
@problems("not_found")
def policy_get(request: HttpRequest, compound_id: int) -> dict[str, Any]:
    compound = selectors.compound_for_manager(user=request_user(request), compound_id=compound_id)
    return policy_services.policy_dict(policy_services.policy_get(compound=compound))


@router.put(
    "/access/compounds/{compound_id}/policy", response=PolicyOut, auth=require_user, summary="设置通行策略 Set policy"
)
@problems("not_found")
def policy_put(request: HttpRequest, compound_id: int, payload: PolicyIO) -> dict[str, Any]:
    """Only the fields given change. `max_per_hour` 0 removes the limit."""
    user = request_user(request)
    compound = selectors.compound_for_manager(user=user, compound_id=compound_id)
    changes: dict[str, Any] = payload.dict(exclude_none=True, exclude={"max_per_hour"})
    if payload.max_per_hour is not None:
        changes["max_per_hour"] = payload.max_per_hour or None
    return policy_services.policy_dict(policy_services.policy_set(compound=compound, actor=user, **changes))


# ------------------------------------------------------------------------------------------------ riders


def credential_out(c: RiderCredential) -> dict[str, Any]:
    return {
        "id": c.pk,
        "street": c.street.code,
        "rider": mask_phone(c.user.phone),
        "name": c.real_name,
        "partner": c.partner.name,
        "status": c.status,
        "verified_by": c.verified_by,
        "verified_at": c.verified_at.isoformat(),
        "expires_at": c.expires_at.isoformat(),
        "active": credential_active(c, timezone.now()),
        "has_photo": bool(c.photo),
    }


@router.post(
    "/access/riders", response={201: CredentialOut}, auth=require_user, summary="认证骑手 Verify a rider (staff)"
)
@problems("unknown_street", "permission_denied", "invalid_phone")
def rider_verify(request: HttpRequest, payload: RiderIn) -> Status:
    user = request_user(request)
    street = street_get(code=payload.street)
    selectors.require_rider_staff(user, street)
    credential = rider_services.rider_verify(
        street=street,
        phone=payload.phone,
        partner=payload.partner,
        real_name=payload.name,
        days=payload.days,
        actor=user,
    )
    return Status(201, credential_out(credential))


@router.get("/access/riders", response=list[CredentialOut], auth=require_user, summary="认证骑手列表 Riders (staff)")
@problems("unknown_street", "permission_denied")
def rider_list(request: HttpRequest, street: str) -> list[dict[str, Any]]:
    street_obj = street_get(code=street)
    selectors.require_rider_staff(request_user(request), street_obj)
    return [credential_out(c) for c in selectors.credential_list_for_street(street_obj)[:500]]


def _credential_for_staff(user: User, credential_id: int) -> RiderCredential:
    credential = RiderCredential.objects.select_related("street", "user", "partner").filter(pk=credential_id).first()
    if credential is None or credential.street not in selectors.rider_staff_streets(user):
        raise Problem("not_found")
    return credential


@router.post(
    "/access/riders/{credential_id}/{action}", response=CredentialOut, auth=require_user, summary="暂停/吊销/恢复"
)
@problems("not_found")
def rider_action(request: HttpRequest, credential_id: int, action: str) -> dict[str, Any]:
    """`action`: suspend | revoke | reinstate. Takes effect at the rider's next tap."""
    user = request_user(request)
    moves = {
        "suspend": rider_services.rider_suspend,
        "revoke": rider_services.rider_revoke,
        "reinstate": rider_services.rider_reinstate,
    }
    if action not in moves:
        raise Problem("not_found")
    credential = _credential_for_staff(user, credential_id)
    return credential_out(moves[action](credential=credential, actor=user))


@router.post(
    "/access/rider-assertions", response={201: CredentialOut}, summary="平台签名认证 Partner's signed assertion"
)
@problems("permission_denied", "rate_limited")
def rider_assertion(request: HttpRequest, payload: AssertionIn) -> Status:
    """A delivery partner vouches for a rider with a compact JWS (HS256) signed with the key the street gave it.
    Each assertion is accepted once; see the services module for the claims."""
    allowed, retry = ratelimit.hit(f"access:assert:{ratelimit.client_ip(request)}", ASSERTIONS_PER_MINUTE_PER_IP, 60)
    if not allowed:
        raise Problem("rate_limited", extra={"retry_after": retry})
    credential = rider_services.rider_verify_assertion(assertion=payload.assertion)
    return Status(201, credential_out(credential))


# ------------------------------------------------------------------------------------------------- audit


def _taps(request: HttpRequest, f: TapFilters) -> Any:
    return selectors.tap_search(
        user=request_user(request),
        phone=f.phone,
        gate=f.gate,
        compound_id=f.compound,
        decision=f.decision,
        reason=f.reason,
        date_from=f.date_from,
        date_to=f.date_to,
    )


def _no_phone_in_url(f: TapFilters) -> None:
    """A query string ends up in access logs (nginx, gunicorn): there only a number's last 4 digits."""
    if f.phone and len([c for c in f.phone if c.isdigit()]) > 4:
        raise Problem("phone_in_url")


def _tap_page(request: HttpRequest, f: TapFilters, page: int, page_size: int) -> dict[str, Any]:
    qs = _taps(request, f)
    start = (page - 1) * page_size
    items = [selectors.tap_row(t) for t in qs[start : start + page_size]]
    return {"items": items, "count": qs.count(), "page": page, "page_size": page_size}


@router.get("/access/taps", response=TapPage, auth=require_user, summary="通行记录 Access log")
@problems("permission_denied", "phone_in_url")
def tap_list(
    request: HttpRequest,
    filters: Query[TapFilters],
    page: int = Query(1, ge=1),
    page_size: int = Query(50, ge=1, le=200),
) -> dict[str, Any]:
    """Property managers see their compounds' taps; street staff their street's. Phones are masked. `phone`
    here is a number's last 4 digits (`phone_in_url` otherwise): search by a whole number with POST
    `/access/taps/search`."""
    _no_phone_in_url(filters)
    return _tap_page(request, filters, page, page_size)


@router.post("/access/taps/search", response=TapPage, auth=require_user, summary="按手机号查通行记录 Search the log")
@problems("permission_denied")
def tap_search(request: HttpRequest, payload: TapSearchIn) -> dict[str, Any]:
    """The access log filtered as `GET /access/taps`, the filters in the body, so a whole phone number stays out
    of URLs and access logs (PIPL)."""
    return _tap_page(request, payload, payload.page, payload.page_size)


@replica_reads()  # an export/report: may read a replica (linli.core.db)
def taps_csv_response(request: HttpRequest, filters: TapFilters) -> HttpResponse:
    """The filtered log as a CSV download (the one export writer: phones masked, formula-safe); audit-logged
    with the phone masked."""
    user = request_user(request)
    qs = _taps(request, filters)
    body = selectors.taps_csv(qs[:50_000])
    logged = filters.dict()
    logged["phone"] = mask_phone(filters.phone) if filters.phone else None
    for key in ("date_from", "date_to"):
        logged[key] = logged[key].isoformat() if logged[key] else None
    audit_log(actor=user, action="access.export", data={"filters": logged})
    stamp = timezone.localdate().isoformat()
    return attachment_response(
        body, content_type=CSV_TYPE, ascii_name=f"access-{stamp}.csv", name=f"通行记录-{stamp}.csv"
    )


_CSV_ANSWER = file_answer("text/csv", "The filtered access log as CSV (UTF-8 with a BOM, for Excel)")


@router.get("/access/taps/export.csv", auth=require_user, summary="导出通行记录 CSV export", openapi_extra=_CSV_ANSWER)
@problems("permission_denied", "phone_in_url")
def tap_export(request: HttpRequest, filters: Query[TapFilters]) -> HttpResponse:
    """The filtered log as CSV (UTF-8 with BOM, phones masked, formula-safe). Every export is audit-logged.
    By a whole phone number: POST the filters."""
    _no_phone_in_url(filters)
    return taps_csv_response(request, filters)


@router.post(
    "/access/taps/export.csv",
    auth=require_user,
    summary="导出通行记录（按手机号）CSV export",
    openapi_extra=_CSV_ANSWER,
)
@problems("permission_denied")
def tap_export_post(request: HttpRequest, payload: TapFilters) -> HttpResponse:
    """The CSV export with the filters in the body (a whole phone number stays out of URLs and logs)."""
    return taps_csv_response(request, payload)


def alert_out(a: AccessAlert) -> dict[str, Any]:
    return {
        "id": a.pk,
        "at": timezone.localtime(a.at).isoformat(),
        "kind": a.kind,
        "street": None,
        "compound": a.compound.name if a.compound else None,
        "gate": a.gate.public_id if a.gate else None,
        "rider": mask_phone(a.rider.phone) if a.rider else None,
        "data": a.data,
    }


@router.get("/access/alerts", response=list[AlertOut], auth=require_user, summary="通行告警 Alerts")
@problems("permission_denied")
def alert_list(request: HttpRequest, days: int = Query(7, ge=1, le=90)) -> list[dict[str, Any]]:
    user = request_user(request)
    if selectors.audit_scope(user) is None:
        raise Problem("permission_denied")
    return [alert_out(a) for a in selectors.alert_list_for_user(user, days=days)[:200]]
