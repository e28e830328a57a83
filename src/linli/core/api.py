"""Core API: streets (public), SMS sign-in, the signed-in person ("me")."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import login, logout
from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.utils import check_csrf
from pydantic import Field

from linli.core import selectors, services
from linli.core.auth import require_user
from linli.core.errors import Problem
from linli.core.phones import mask_phone
from linli.core.ratelimit import client_ip
from linli.core.schemas import problems

router = Router(tags=["streets 街道"])


class StreetOut(Schema):
    code: str
    name: str
    name_en: str
    district: str
    city: str
    hotline: str
    center: dict | None
    is_sample: bool


@router.get("/streets", response=list[StreetOut], summary="街道列表 List streets")
def list_streets(request: HttpRequest) -> list[dict]:
    return [
        {
            "code": s.code,
            "name": s.name,
            "name_en": s.name_en,
            "district": s.district,
            "city": s.city,
            "hotline": s.hotline,
            "center": {"lat": s.center_lat, "lng": s.center_lng} if s.center_lat is not None else None,
            "is_sample": s.is_sample,
        }
        for s in selectors.street_list()
    ]


# ------------------------------------------------------------------------------------------- sign-in


class SmsCodeIn(Schema):
    phone: str = Field(max_length=32, description="中国大陆手机号 mainland mobile number (+86 optional)")


class SmsCodeOut(Schema):
    sent: bool
    resend_after: int = Field(description="seconds until another code may be requested")
    expires_in: int = Field(description="seconds the code stays valid")


class LoginIn(Schema):
    phone: str = Field(max_length=32)
    code: str = Field(max_length=12)
    token: bool = Field(False, description="also return a bearer token (app clients)")


class RoleOut(Schema):
    street: str
    street_name: str
    role: str


class MeOut(Schema):
    id: int
    phone: str = Field(description="masked 138****5678")
    display_name: str
    elder_mode: bool
    language: str
    birth_year: int | None
    roles: list[RoleOut]


class LoginOut(Schema):
    user: MeOut
    session: bool = Field(description="whether the web session was signed in (needs a valid CSRF token)")
    token: str | None = Field(None, description="bearer token, only when requested; shown once")


class MePatch(Schema):
    display_name: str | None = Field(None, max_length=50)
    elder_mode: bool | None = None
    language: str | None = Field(None, max_length=10)
    birth_year: int | None = Field(None, description="only the year; null clears it")


class SignedOut(Schema):
    signed_out: bool


def me_dict(user: Any) -> dict[str, Any]:
    return {
        "id": user.pk,
        "phone": mask_phone(user.phone),
        "display_name": user.display_name,
        "elder_mode": user.elder_mode,
        "language": user.language,
        "birth_year": user.birth_year,
        "roles": [
            {"street": r.street.code, "street_name": r.street.name, "role": r.role}
            for r in selectors.user_role_list(user)
        ],
    }


auth_router = Router(tags=["auth 登录"])


@auth_router.post(
    "/auth/sms-code", response={202: SmsCodeOut}, summary="获取短信验证码 Request a sign-in code", auth=None
)
@problems("invalid_phone", "rate_limited", "sms_unavailable")
def request_sms_code(request: HttpRequest, payload: SmsCodeIn) -> Status:
    result = services.sms_code_send(phone=payload.phone, ip=client_ip(request))
    return Status(202, {"sent": True, "resend_after": result.resend_after, "expires_in": result.expires_in})


@auth_router.post("/auth/login", response=LoginOut, summary="验证码登录 Sign in with the code", auth=None)
@problems("invalid_phone", "sms_code_invalid", "permission_denied", "csrf_failed")
def sms_login(request: HttpRequest, payload: LoginIn) -> dict:
    # The web session is only signed in for a same-site request with a valid CSRF token (no login CSRF);
    # an app client without cookies asks for a bearer token instead.
    csrf_ok = check_csrf(request) is None
    if not csrf_ok and not payload.token:
        raise Problem("csrf_failed")
    user = services.sms_code_verify(phone=payload.phone, code=payload.code)
    if csrf_ok:
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    raw = services.token_create(user=user, name="login") if payload.token else None
    return {"user": me_dict(user), "session": csrf_ok, "token": raw}


@auth_router.post("/auth/logout", response=SignedOut, summary="退出登录 Sign out", auth=require_user)
def sms_logout(request: HttpRequest) -> dict:
    if getattr(request, "linli_bearer", False):
        header = request.headers.get("Authorization", "")
        services.token_revoke(user=request.user, raw=header[7:].strip())  # type: ignore[arg-type]
    else:
        logout(request)
    return {"signed_out": True}


@auth_router.get("/me", response=MeOut, summary="我的账号 The signed-in person", auth=require_user)
def get_me(request: HttpRequest) -> dict:
    return me_dict(request.user)


@auth_router.patch("/me", response=MeOut, summary="修改我的设置 Update my settings", auth=require_user)
def patch_me(request: HttpRequest, payload: MePatch) -> dict:
    user = services.user_update(
        user=request.user,  # type: ignore[arg-type]
        display_name=payload.display_name,
        elder_mode=payload.elder_mode,
        language=payload.language,
        birth_year=payload.birth_year if "birth_year" in payload.model_fields_set else services.KEEP,
    )
    return me_dict(user)


router.add_router("", auth_router)
