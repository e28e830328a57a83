"""The Open311 endpoints (see the package docstring): discovery, services, service definitions, requests
(GET and POST), one request and tokens; every failure answered in the spec's error format."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from linli.cases.models import Case, CaseCategory, CaseStatus, Queue, Report
from linli.cases.open311.definitions import (
    CHANGESET,
    CLOSED_STATES,
    FORMATS,
    MAX_DESCRIPTION,
    MAX_REQUESTS,
    SPECIFICATION,
    WINDOW,
    service_extra,
)
from linli.cases.open311.params import (
    client_of,
    contact_param,
    location_param,
    media_url_param,
    param,
    rate_limit,
    street_of,
    submitted_attributes,
    validate_attributes,
)
from linli.cases.open311.render import (
    Open311Error,
    bad,
    error_response,
    missing,
    parse_w3c,
    problem_to_error,
    render,
    w3c,
    xml_text,
)
from linli.cases.services.reports import report_create
from linli.core import ratelimit
from linli.core.errors import Problem
from linli.core.models import Street
from linli.core.phones import mask_personal_text

logger = logging.getLogger("linli.cases.open311")

# ------------------------------------------------------------------------------------ view plumbing


def open311_view(*methods: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Check the format and method, rate-limit per address, and turn every failure into the spec's error format."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
            if fmt not in FORMATS:
                return error_response(
                    "json",
                    404,
                    f"不支持的格式 .{xml_text(fmt)[:20]}，请用 .json 或 .xml / Unknown format: use .json or .xml",
                )
            allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())
            if request.method not in allowed:
                return error_response(
                    fmt,
                    405,
                    f"不支持 {request.method} 请求 / Method {request.method} not allowed",
                    {"Allow": ", ".join(sorted(allowed))},
                )
            if any("\x00" in str(v) for v in kwargs.values()):
                return error_response(fmt, 404, "没有这个资源 / Not found")
            try:
                rate_limit(
                    f"open311:ip:{ratelimit.client_ip(request) or 'unknown'}",
                    getattr(settings, "LINLI_OPEN311_PER_ADDRESS_PER_MINUTE", 120),
                )
                return view(request, fmt, **kwargs)
            except Open311Error as err:
                return error_response(fmt, err.status, err.description, err.headers)
            except Problem as problem:
                mapped = problem_to_error(problem)
                return error_response(fmt, mapped.status, mapped.description, mapped.headers)
            except Exception:  # the spec's "General service error"; never a 500
                logger.exception("open311 %s %s failed", request.method, request.path)
                return error_response(fmt, 400, "服务处理失败，请稍后再试 / General service error")

        return wrapper

    return decorator


def _duration_text(minutes: int) -> tuple[str, str]:
    if minutes % 1440 == 0:
        days = minutes // 1440
        return f"{days} 天", f"{days} day{'s' if days != 1 else ''}"
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} 小时", f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} 分钟", f"{minutes} minutes"


def hq_name(street: Street) -> str:
    return f"{street.name}{'指挥部' if street.name.endswith('街道') else '街道指挥部'}"


def agency_responsible(case: Case) -> str:
    if case.queue == Queue.GRID and case.grid_id is not None and case.grid is not None:
        return case.grid.name
    return hq_name(case.street)


def sla_texts(category: CaseCategory) -> tuple[str, str]:
    """The category's service levels, in Chinese and in English."""
    respond_zh, respond_en = _duration_text(category.response_minutes)
    resolve_zh, resolve_en = _duration_text(category.resolution_minutes)
    return (
        f"将在 {respond_zh}内响应、{resolve_zh}内办结",
        f"Staff respond within {respond_en} and resolve within {resolve_en}",
    )


def sla_notice(category: CaseCategory) -> str:
    zh, en = sla_texts(category)
    return f"{zh} / {en}"


# ------------------------------------------------------------------------------------------ discovery


@open311_view("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    contact = "请联系所在街道办事处 / Contact the street office (街道办事处) that serves the place"
    code = param(request, "jurisdiction_id")
    street = Street.objects.filter(code=code).first() if code else None
    if street is not None and street.hotline:
        contact = f"{street.name} 服务热线 {street.hotline} / {street.name_en or street.name} hotline {street.hotline}"
    data = {
        "changeset": CHANGESET,
        "contact": contact,
        "key_service": (
            "API 密钥（api_key）由街道工作人员签发，每个街道（jurisdiction_id）一把，请向街道办申请；"
            "读取无需密钥 / API keys are issued per street (jurisdiction_id) by its staff: ask the street office. "
            "Reading needs no key."
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": request.build_absolute_uri(reverse("open311_root")).rstrip("/"),
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(fmt, "discovery", data)


# ------------------------------------------------------------------------------------------- services


def _service(category: CaseCategory) -> dict[str, Any]:
    extra = service_extra(category.code)
    keywords = [k for k in (category.name_en, *extra.keywords) if k]
    return {
        "service_code": category.code,
        "service_name": category.name_zh,
        "description": category.description or category.name_zh,
        "metadata": bool(extra.attributes),
        "type": "realtime",
        "keywords": ", ".join(keywords),
        "group": extra.group,
    }


def _active_category(street: Street, code: str) -> CaseCategory:
    category = CaseCategory.objects.filter(street=street, code=code, is_active=True).first()
    if category is None:
        raise Open311Error(404, f"没有这项服务 service_code={xml_text(code)[:60]} / service_code was not found")
    return category


@open311_view("GET")
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    street = street_of(request)
    categories = CaseCategory.objects.filter(street=street, is_active=True).order_by("sort_order", "code")
    return render(fmt, "services", [_service(c) for c in categories])


@open311_view("GET")
def service_definition(request: HttpRequest, fmt: str, service_code: str) -> HttpResponse:
    street = street_of(request)
    category = _active_category(street, service_code)
    attributes = [
        {
            "variable": a.variable,
            "code": a.code,
            "datatype": a.datatype,
            "required": a.required,
            "datatype_description": a.datatype_description or None,
            "order": order,
            "description": a.description,
            "values": [{"key": key, "name": name} for key, name in a.values],
        }
        for order, a in enumerate(service_extra(category.code).attributes, start=1)
    ]
    return render(fmt, "service_definition", {"service_code": category.code, "attributes": attributes})


# ------------------------------------------------------------------------------------ service requests


def _status(case: Case) -> str:
    return "closed" if case.status in CLOSED_STATES else "open"


def _status_notes(case: Case) -> str:
    status = CaseStatus(case.status)
    if status == CaseStatus.MERGED:
        target = case.merged_into_id
        if target:
            return f"重复上报，已合并到事件 #{target} / Duplicate request: merged into #{target}"
        return "重复上报，已合并 / Duplicate request"
    if status == CaseStatus.REJECTED:
        reason = case.reject_reason.strip()
        return f"已驳回：{reason} / Rejected" if reason else "已驳回 / Rejected"
    if status == CaseStatus.CLOSED:
        note = (case.closing_note or case.resolution_note).strip()
        return f"已办结：{note} / Closed" if note else "已办结 / Closed"
    if status in {CaseStatus.RESOLVED, CaseStatus.VERIFIED} and case.resolution_note.strip():
        return f"{status.label}：{case.resolution_note.strip()} / {status.value.replace('_', ' ')}"
    return f"{status.label} / {status.value.replace('_', ' ')}"


def _media_urls(case_ids: Iterable[int]) -> dict[int, str]:
    """The first media_url submitted with a report of each case (never fetched)."""
    found: dict[int, str] = {}
    rows = (
        Report.objects.filter(case_id__in=list(case_ids), attributes__has_key="media_url")
        .order_by("created_at", "id")
        .values_list("case_id", "attributes")
    )
    for case_id, attributes in rows:
        url = (attributes or {}).get("media_url")
        if case_id not in found and isinstance(url, str) and url:
            found[case_id] = url
    return found


def request_dict(case: Case, media_url: str | None = None) -> dict[str, Any]:
    """One service request, fields in the spec's order. Public by the specification: every text is masked
    (phone and ID numbers residents typed, `mask_personal_text`)."""
    updated = case.closed_at if case.status == CaseStatus.CLOSED and case.closed_at else case.updated_at
    return {
        "service_request_id": str(case.pk),
        "status": _status(case),
        "status_notes": mask_personal_text(_status_notes(case)),
        "service_name": case.category.name_zh,
        "service_code": case.category.code,
        "description": mask_personal_text(case.description) or None,
        "agency_responsible": agency_responsible(case),
        "service_notice": sla_notice(case.category),
        "requested_datetime": w3c(case.created_at),
        "updated_datetime": w3c(updated),
        "expected_datetime": w3c(case.resolution_due_at),
        "address": mask_personal_text(case.address) or None,
        "address_id": None,
        "zipcode": None,
        "lat": case.lat,
        "long": case.lng,
        "media_url": media_url,
    }


def _requests_response(fmt: str, cases: list[Case]) -> HttpResponse:
    media = _media_urls(c.pk for c in cases)
    return render(fmt, "service_requests", [request_dict(c, media.get(c.pk)) for c in cases])


def _cases(street: Street) -> Any:
    return Case.objects.filter(street=street).select_related("category", "grid", "street")


def _is_id(value: str) -> bool:
    """A positive database id (at most 18 digits: larger numbers overflow a bigint and cannot exist)."""
    return value.isascii() and value.isdigit() and len(value) <= 18


def _csv(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


@open311_view("GET", "POST")
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _request_create(request, fmt)
    street = street_of(request)
    qs = _cases(street)
    ids = _csv(param(request, "service_request_id"))
    if ids:  # spec: "This overrides all other arguments."
        if not all(_is_id(i) for i in ids):
            raise bad("service_request_id 应为数字，用逗号分隔 / service_request_id must be numbers, comma delimited")
        qs = qs.filter(pk__in=[int(i) for i in ids[:MAX_REQUESTS]])
    else:
        codes = _csv(param(request, "service_code"))
        if codes:
            qs = qs.filter(category__code__in=codes)
        statuses = {s.lower() for s in _csv(param(request, "status"))}
        if statuses - {"open", "closed"}:
            raise bad("status 只能是 open 或 closed / status must be open or closed")
        if statuses == {"open"}:
            qs = qs.exclude(status__in=CLOSED_STATES)
        elif statuses == {"closed"}:
            qs = qs.filter(status__in=CLOSED_STATES)
        start_raw, end_raw = param(request, "start_date"), param(request, "end_date")
        start = parse_w3c(start_raw, "start_date") if start_raw else None
        end = parse_w3c(end_raw, "end_date") if end_raw else None
        if start is None and end is None:
            end = timezone.now()
        if start is None:
            assert end is not None
            start = end - WINDOW
        elif end is None:
            end = start + WINDOW
        if end < start:
            raise bad("end_date 早于 start_date / end_date is before start_date")
        if end - start > WINDOW:
            raise bad("start_date 与 end_date 相隔不能超过 90 天 / the range may not span more than 90 days")
        qs = qs.filter(created_at__gte=start, created_at__lte=end)
    cases = list(qs.order_by("-created_at", "-id")[:MAX_REQUESTS])
    return _requests_response(fmt, cases)


@open311_view("GET")
def request_detail(request: HttpRequest, fmt: str, service_request_id: str) -> HttpResponse:
    street = street_of(request)
    case = _cases(street).filter(pk=int(service_request_id)).first() if _is_id(service_request_id) else None
    if case is None:
        raise Open311Error(
            404, f"没有这个服务请求 #{xml_text(service_request_id)[:40]} / service_request_id was not found"
        )
    return _requests_response(fmt, [case])


@open311_view("GET")
def token_detail(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    street = street_of(request)
    report = Report.objects.filter(street=street, token=token).only("case_id", "token").first() if token else None
    if report is None:
        raise Open311Error(404, "没有这个 token / token was not found")
    return render(fmt, "service_requests", [{"service_request_id": str(report.case_id), "token": report.token}])


def _request_create(request: HttpRequest, fmt: str) -> HttpResponse:
    street = street_of(request)
    client = client_of(request, street)
    rate_limit(f"open311:client:{client.pk}", getattr(settings, "LINLI_OPEN311_POSTS_PER_MINUTE", 30))
    code = param(request, "service_code")
    if not code:
        raise missing("service_code")
    category = _active_category(street, code)
    lat, lng, address = location_param(request, street)
    description = param(request, "description")
    if len(description) > MAX_DESCRIPTION:
        raise bad(f"description 超过 {MAX_DESCRIPTION} 字 / description is longer than {MAX_DESCRIPTION} characters")
    contact = contact_param(request)
    attributes = validate_attributes(category, submitted_attributes(request))
    media_url = media_url_param(request)
    if media_url:
        attributes["media_url"] = media_url
    account_id = param(request, "account_id")[:100]
    if account_id:
        attributes["account_id"] = account_id
    report = report_create(
        street=street,
        category=category,
        lat=lat,
        lng=lng,
        description=description,
        source="open311",
        open311_client=client,
        contact=contact,
        attributes=attributes,
        address=address,
    )
    case = report.case
    notice = sla_notice(category)
    if case.reports_count > 1:  # merged into a case someone else reported
        zh, en = sla_texts(category)
        notice = f"同一问题已有人上报，已合并到事件 #{case.pk}；{zh} / Already reported: merged into #{case.pk}. {en}"
    body = [{"service_request_id": str(case.pk), "service_notice": notice, "account_id": account_id or None}]
    return render(fmt, "service_requests", body)


# -------------------------------------------------------------------------------------------- routing


@csrf_exempt
def root(request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect("discovery.xml")


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return error_response("json", 404, "没有这个资源 / Not found: see discovery.json for the endpoints")
