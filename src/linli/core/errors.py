"""Errors as RFC 9457 problem details with a stable code and a message in the request's language.

Every user-facing failure in services raises `Problem(code, ...)`; the API renders it as
`application/problem+json`; the CLI prints it. Messages are zh-Hans first with an English translation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse

# code -> (HTTP status, zh-Hans title, English title)
CATALOGUE: dict[str, tuple[int, str, str]] = {
    "validation_error": (422, "输入有误，请检查后重试", "The input is not valid"),
    "not_found": (404, "找不到该内容", "Not found"),
    "not_authenticated": (401, "请先登录", "Please sign in first"),
    "permission_denied": (403, "没有权限进行此操作", "You do not have permission to do this"),
    "csrf_failed": (403, "页面已过期，请刷新后重试", "The page has expired; reload and try again"),
    "rate_limited": (429, "操作太频繁，请稍后再试", "Too many requests; try again later"),
    "invalid_phone": (422, "手机号格式不正确", "This is not a valid mainland mobile number"),
    "sms_code_invalid": (422, "验证码错误或已过期", "The code is wrong or has expired"),
    "sms_unavailable": (503, "短信发送失败，请稍后再试", "The SMS could not be sent; try again later"),
    "unknown_street": (404, "没有这个街道", "No such street"),
    "street_exists": (409, "街道代码已存在", "A street with this code already exists"),
    "unknown_role": (422, "没有这个角色", "No such role"),
    "unknown_service": (422, "没有这项服务", "No such service"),
    "unknown_kind": (422, "没有这种点位类型", "No such kind of service point"),
    "bad_opening_hours": (422, "营业时间格式不正确", "The opening hours are not valid"),
    "bad_coordinates": (422, "坐标不正确", "The coordinates are not valid"),
    "import_invalid": (
        422,
        "导入文件有误，未写入任何数据",
        "The import file has errors; nothing was written",
    ),
    "activity_full": (409, "名额已满，候补也已排满", "The activity is full and so is its waiting list"),
    "already_booked": (409, "您已预约过这个活动", "You have already booked this activity"),
    "booking_closed": (409, "该活动现在不接受预约", "Booking is not open for this activity now"),
    "audience_mismatch": (403, "该活动仅面向特定人群", "This activity is for a particular audience"),
    "booking_limit_reached": (409, "您预约的未开始活动已达上限", "You have reached the limit of upcoming bookings"),
    "cancel_deadline_passed": (409, "已过取消截止时间，请联系工作人员", "The cancellation deadline has passed"),
    "booking_invalid_transition": (
        409,
        "预约当前状态下不能进行此操作",
        "This cannot be done to the booking in its current state",
    ),
    "checkin_invalid": (422, "签到码无效", "This check-in code is not valid"),
    "ical_invalid": (422, "日历文件有误，未写入任何数据", "The calendar file has errors; nothing was written"),
    "sold_out": (409, "菜品已售完", "This dish is sold out"),
    "after_cutoff": (409, "已过截单时间", "Orders for this meal have closed"),
    "insufficient_balance": (
        402,
        "余额不足，请到服务点充值",
        "Your wallet balance is too low; top up at a service point",
    ),
    "not_eligible": (403, "您不符合该项服务的条件", "You are not eligible for this"),
    "destination_not_served": (409, "该地点不在这家厨房的配送范围", "This kitchen does not deliver to that place"),
    "menu_not_available": (404, "该餐次没有可订的菜单", "There is no menu to order from for this meal"),
    "order_invalid_transition": (
        409,
        "订单当前状态下不能进行此操作",
        "This cannot be done to the order in its current state",
    ),
    "menu_invalid": (422, "菜单不符合要求", "The menu does not meet the rules"),
    "csv_invalid": (422, "表格文件有误，未写入任何数据", "The spreadsheet has errors; nothing was written"),
    "pickup_code_invalid": (422, "取餐码无效", "This pickup code is not valid"),
    "photo_invalid": (422, "照片无效", "The photo is not valid"),
    "run_invalid_transition": (
        409,
        "配送批次当前状态下不能进行此操作",
        "This cannot be done to the run in its current state",
    ),
    "unknown_category": (422, "没有这个事件类别", "No such case category"),
    "case_invalid_transition": (
        409,
        "事件当前状态下不能进行此操作",
        "This cannot be done to the case in its current state",
    ),
    "outside_street": (422, "该位置不在本街道范围内", "This location is outside the street"),
    "merge_invalid": (409, "这些事件不能合并或拆分", "These cases cannot be merged or split"),
    "method_not_allowed": (405, "不支持该请求方法", "Method not allowed"),
    "server_error": (500, "服务器出错了，请稍后再试", "Something went wrong on our side"),
}


@dataclass
class Problem(Exception):
    """A failure a user can understand: stable `code`, optional detail and per-field errors."""

    code: str
    detail_zh: str = ""
    detail_en: str = ""
    errors: list[dict[str, Any]] = field(default_factory=list)
    status: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.code)
        if self.code not in CATALOGUE:
            raise KeyError(f"unknown problem code {self.code!r}")

    @property
    def http_status(self) -> int:
        return self.status or CATALOGUE[self.code][0]

    def title(self, lang: str) -> str:
        _, zh, en = CATALOGUE[self.code]
        return en if lang.startswith("en") else zh

    def detail(self, lang: str) -> str:
        if lang.startswith("en"):
            return self.detail_en or self.detail_zh
        return self.detail_zh or self.detail_en

    def as_dict(self, lang: str = "zh-hans", instance: str = "") -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://linli.invalid/problems/{self.code}",
            "title": self.title(lang),
            "status": self.http_status,
            "code": self.code,
        }
        detail = self.detail(lang)
        if detail:
            body["detail"] = detail
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        return body

    def __str__(self) -> str:  # used by the CLI
        lines = [f"{self.code}: {self.title('zh')} / {self.title('en')}"]
        if self.detail_zh or self.detail_en:
            lines.append(f"  {self.detail_zh} {('/ ' + self.detail_en) if self.detail_en else ''}".rstrip())
        for err in self.errors:
            where = err.get("feature") if "feature" in err else err.get("line", err.get("field", ""))
            lines.append(f"  [{where}] {err.get('field', '')}: {err.get('message', '')}")
        return "\n".join(lines)


def field_error(field_name: str, message_zh: str, message_en: str, **more: Any) -> dict[str, Any]:
    """One entry of `errors`: the field (JSON pointer-ish path), messages in both languages."""
    return {"field": field_name, "message": message_zh, "message_en": message_en, **more}


# --------------------------------------------------------------------------------------- rendering


def request_language(request: HttpRequest) -> str:
    """The request's language code (zh-hans unless LocaleMiddleware chose another)."""
    return getattr(request, "LANGUAGE_CODE", "zh-hans") or "zh-hans"


def problem_response(request: HttpRequest, problem: Problem) -> HttpResponse:
    """`application/problem+json` in the request's language (the API, the bearer middleware, idempotent replays)."""
    body = problem.as_dict(request_language(request), instance=request.path)
    resp = HttpResponse(
        json.dumps(body, ensure_ascii=False),
        status=problem.http_status,
        content_type="application/problem+json; charset=utf-8",
    )
    if problem.code == "rate_limited" and "retry_after" in problem.extra:
        resp["Retry-After"] = str(problem.extra["retry_after"])
    return resp
