"""Errors as RFC 9457 problem details with a stable code and a message in the reader's language.

Every user-facing failure in services raises `Problem(code, detail=..., errors=[field_error(...)])`. Titles, details
and field messages are Chinese source strings wrapped in `gettext_lazy` like every other user-facing string (English
lives in the project's .po), so nothing is translated when the problem is raised, only when it is shown:
`as_dict()` renders it in the request's language for the API's `application/problem+json` and the pages, and
`str(problem)` prints Chinese, then English, for the CLI. A message with values keeps them as named placeholders:
`format_lazy(_("没有编号为 {menu} 的菜单"), menu=menu_id)`.

The JSON shape: `type`, `title`, `status`, `code`, `detail` (when there is one), `instance`, `errors` (each with
`field`, `message` in the request's language, `message_en` in English for clients written against the first API,
and any location keys such as `line`), plus a problem's own extra members.
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.defaults import page_not_found

from linli.core.i18n import Text, both_languages, in_language, rendered

# code -> (HTTP status, title). Titles are zh-Hans msgids; their English is in locale/en/LC_MESSAGES/django.po.
CATALOGUE: dict[str, tuple[int, Text]] = {
    "validation_error": (422, _("输入有误，请检查后重试")),
    "not_found": (404, _("找不到该内容")),
    "not_authenticated": (401, _("请先登录")),
    "permission_denied": (403, _("没有权限进行此操作")),
    "csrf_failed": (403, _("页面已过期，请刷新后重试")),
    "rate_limited": (429, _("操作太频繁，请稍后再试")),
    "invalid_phone": (422, _("手机号格式不正确")),
    "phone_in_url": (422, _("手机号不能放在网址里，请用 POST 提交查询")),
    "sms_code_invalid": (422, _("验证码错误或已过期")),
    "sms_unavailable": (503, _("短信发送失败，请稍后再试")),
    "unknown_street": (404, _("没有这个街道")),
    "street_exists": (409, _("街道代码已存在")),
    "simulate_city_exists": (409, _("数据库中已有模拟城市")),
    "simulate_too_big_for_sqlite": (422, _("模拟城市太大，请使用 PostgreSQL")),
    "unknown_role": (422, _("没有这个角色")),
    "unknown_service": (422, _("没有这项服务")),
    "unknown_kind": (422, _("没有这种点位类型")),
    "bad_opening_hours": (422, _("营业时间格式不正确")),
    "bad_coordinates": (422, _("坐标不正确")),
    "import_invalid": (422, _("导入文件有误，未写入任何数据")),
    "activity_full": (409, _("名额已满，候补也已排满")),
    "already_booked": (409, _("您已预约过这个活动")),
    "booking_closed": (409, _("该活动现在不接受预约")),
    "audience_mismatch": (403, _("该活动仅面向特定人群")),
    "booking_limit_reached": (409, _("您预约的未开始活动已达上限")),
    "cancel_deadline_passed": (409, _("已过取消截止时间，请联系工作人员")),
    "booking_invalid_transition": (409, _("预约当前状态下不能进行此操作")),
    "checkin_invalid": (422, _("签到码无效")),
    "ical_invalid": (422, _("日历文件有误，未写入任何数据")),
    "sold_out": (409, _("菜品已售完")),
    "after_cutoff": (409, _("已过截单时间")),
    "insufficient_balance": (402, _("余额不足，请到服务点充值")),
    "account_confirmation_required": (409, _("新账户需要确认本人身份")),
    "not_eligible": (403, _("您不符合该项服务的条件")),
    "destination_not_served": (409, _("该地点不在这家厨房的配送范围")),
    "menu_not_available": (404, _("该餐次没有可订的菜单")),
    "order_invalid_transition": (409, _("订单当前状态下不能进行此操作")),
    "menu_invalid": (422, _("菜单不符合要求")),
    "csv_invalid": (422, _("表格文件有误，未写入任何数据")),
    "pickup_code_invalid": (422, _("取餐码无效")),
    "photo_invalid": (422, _("照片无效")),
    "run_invalid_transition": (409, _("配送批次当前状态下不能进行此操作")),
    "rider_unavailable": (409, _("该骑手暂不能接单")),
    "unknown_category": (422, _("没有这个事件类别")),
    "case_invalid_transition": (409, _("事件当前状态下不能进行此操作")),
    "outside_street": (422, _("该位置不在本街道范围内")),
    "merge_invalid": (409, _("这些事件不能合并或拆分")),
    # affairs (社区事务)
    "slot_full": (409, _("该时段已约满")),
    "slot_closed": (409, _("该时段不开放预约")),
    "too_soon": (409, _("预约时间太近，请选择更晚的时段")),
    "too_late": (409, _("预约时间太远，暂未开放")),
    "not_eligible_channel": (409, _("该事项不能通过这种方式办理")),
    "booking_suspended": (403, _("您的网上预约已被暂停")),
    "appointment_exists": (409, _("您已预约过这个事项")),
    "appointment_invalid_transition": (409, _("预约当前状态下不能进行此操作")),
    "prereview_not_allowed": (409, _("该事项不支持网上预审")),
    "prereview_invalid_transition": (409, _("预审当前状态下不能进行此操作")),
    "file_invalid": (422, _("文件无效")),
    "care_not_registered": (404, _("该居民不在关爱名册中")),
    "care_consent_required": (422, _("登记需要本人或家属的同意")),
    "care_device_invalid": (401, _("呼叫设备令牌无效")),
    "care_call_invalid_transition": (409, _("呼叫当前状态下不能进行此操作")),
    "care_alert_invalid_transition": (409, _("关爱提醒当前状态下不能进行此操作")),
    "care_visit_invalid_transition": (409, _("上门特办当前状态下不能进行此操作")),
    "care_followup_invalid_transition": (409, _("回访任务当前状态下不能进行此操作")),
    "ticket_code_invalid": (422, _("没有找到这个预约，请核对预约码")),
    "checkin_not_today": (409, _("这个预约不是今天的")),
    "checkin_wrong_centre": (409, _("这个预约不在本中心办理")),
    "ticket_invalid_transition": (409, _("排队号当前状态下不能进行此操作")),
    "counter_busy": (409, _("本窗口还有正在办理的号")),
    "remote_session_invalid": (409, _("远程帮办当前状态下不能进行此操作")),
    # volunteers (志愿服务)
    "shift_full": (409, _("这个班次的名额已满")),
    "already_signed_up": (409, _("您已报名这个班次")),
    "skills_missing": (409, _("这个班次需要的技能您还没有登记")),
    "overlaps": (409, _("您在这段时间已有别的班次")),
    "shift_closed": (409, _("这个班次已开始或已取消，不能报名")),
    "drop_deadline_passed": (409, _("已过退出截止时间，请联系驿站")),
    "signup_invalid_transition": (409, _("报名当前状态下不能进行此操作")),
    "station_code_invalid": (422, _("驿站签到码无效")),
    "station_code_stale": (422, _("驿站签到码已过期，请重新扫码")),
    "no_shift_now": (409, _("您现在在这个驿站没有班次")),
    "volunteer_not_registered": (404, _("您还不是这个街道的志愿者")),
    "volunteer_exists": (409, _("已经登记为志愿者")),
    "credit_code_invalid": (422, _("统一社会信用代码不正确")),
    "team_not_verified": (403, _("团队或企业尚未通过驿站审核")),
    "item_fully_claimed": (409, _("这项服务需要的人数已被认领满")),
    "item_closed": (409, _("这项服务已截止接单")),
    "claim_invalid_transition": (409, _("接单当前状态下不能进行此操作")),
    "time_balance_insufficient": (409, _("时间银行余额不足")),
    "claim_not_ratable": (409, _("这项服务还没有开始，或已取消，暂不能评价")),
    "already_rated": (409, _("您已评价过这项服务")),
    "swap_to_unknown": (404, _("没有找到这位志愿者，请核对手机号")),
    "already_confirmed": (409, _("您已确认过")),
    "confirmation_closed": (409, _("这个班次现在不能确认：请在志愿者服务的当天扫码")),
    "swap_pending": (409, _("这个班次已在等对方确认接班，或这次换班已处理")),
    "course_already_decided": (409, _("这门课程已审核过")),
    # jobs (就业)
    "jobs_employer_exists": (409, _("该用人单位已登记")),
    "jobs_employer_unverified": (403, _("用人单位尚未通过核验")),
    "jobs_job_closed": (409, _("该岗位已停止招聘")),
    "jobs_no_home": (422, _("求职者没有住址，无法计算路程")),
    "jobs_application_exists": (409, _("已向该求职者推荐过这个岗位")),
    "jobs_application_invalid_transition": (409, _("求职进展当前状态下不能进行此操作")),
    "jobs_refusal_reason_required": (422, _("请选择未成的原因")),
    "jobs_already_placed": (409, _("该求职者已在其他岗位上岗")),
    "jobs_enrolled_already": (409, _("该求职者已报名这个培训")),
    "jobs_phone_required": (422, _("报名培训需要求职者的手机号")),
    "jobs_attendance_short": (409, _("出勤次数不够，不能参加考核")),
    "jobs_assessed_already": (409, _("该学员已经考核过了")),
    # voice (居民之声)
    "survey_closed": (409, _("问卷不在填写时间内")),
    "already_answered": (409, _("您已经填写过这份问卷")),
    "not_in_audience": (403, _("这份问卷不面向您")),
    "results_not_public": (403, _("问卷结束后才公布结果")),
    "consultation_invalid_transition": (409, _("约请当前状态下不能进行此操作")),
    "action_invalid_transition": (409, _("该事项当前状态下不能进行此操作")),
    "invitation_invalid": (404, _("邀请链接无效")),
    "invitation_expired": (410, _("邀请链接已过期，请联系居委重新发送")),
    "invitation_used": (409, _("这个邀请已经答复过了")),
    "method_not_allowed": (405, _("不支持该请求方法")),
    "idempotency_key_reused": (422, _("Idempotency-Key 已用于另一个请求")),
    "bad_request": (400, _("请求格式不正确")),
    "too_large": (413, _("请求内容太大")),
    "service_unavailable": (503, _("服务暂时不可用，请稍后再试")),
    "server_error": (500, _("服务器出错了，请稍后再试")),
}


@dataclass
class Problem(Exception):
    """A failure a user can understand: stable `code`, optional detail and per-field errors (`field_error`)."""

    code: str
    detail: Text = ""
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

    @property
    def title(self) -> Text:
        return CATALOGUE[self.code][1]

    def as_dict(self, lang: str | None = None, instance: str = "") -> dict[str, Any]:
        """The problem+json body in `lang` (default: the active language)."""
        with translation.override(lang) if lang else nullcontext():
            body: dict[str, Any] = {
                "type": f"https://linli.invalid/problems/{self.code}",
                "title": str(self.title),
                "status": self.http_status,
                "code": self.code,
            }
            detail = str(self.detail)
            if detail:
                body["detail"] = detail
            if instance:
                body["instance"] = instance
            if self.errors:
                body["errors"] = [error_to_dict(e) for e in self.errors]
            body.update(rendered(self.extra))
        return body

    def __str__(self) -> str:  # used by the CLI: Chinese, then English
        lines = [f"{self.code}: {both_languages(self.title)}"]
        if str(self.detail):
            lines.append(f"  {both_languages(self.detail)}")
        for err in self.errors:
            where = err.get("feature") if "feature" in err else err.get("line", err.get("field", ""))
            lines.append(f"  [{where}] {err.get('field', '')}: {both_languages(err.get('message', ''))}")
        return "\n".join(lines)


def error_to_dict(error: dict[str, Any]) -> dict[str, Any]:
    """One `errors` entry in the active language, its English beside it as `message_en`."""
    out = rendered(error)
    if "message" in error:
        out["message_en"] = in_language(error["message"], "en")
        order = ("field", "message", "message_en")
        out = {k: out[k] for k in order if k in out} | {k: v for k, v in out.items() if k not in order}
    return out


def field_error(field_name: str, message: Text, **more: Any) -> dict[str, Any]:
    """One entry of `errors`: the field (JSON pointer-ish path) and a lazy message, plus e.g. `line`."""
    return {"field": field_name, "message": message, **more}


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


def not_found_view(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """`handler404`: under /api/ an address that matches no endpoint (`/api/v1/places/abc`) is the problem+json
    `not_found` every API client reads; elsewhere it is the site's 404 page."""
    if request.path.startswith("/api/"):
        return problem_response(request, Problem("not_found"))
    return page_not_found(request, exception or Http404())
