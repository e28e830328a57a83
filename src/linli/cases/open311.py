"""Open311 GeoReport v2 at /open311/v2/ (http://wiki.open311.org/GeoReport_v2), in `.json` and `.xml`.

Endpoints (`{fmt}` is `json` or `xml`; any other extension answers 404 in JSON):

    GET  discovery.{fmt}                      service discovery (http://wiki.open311.org/Service_Discovery)
    GET  services.{fmt}?jurisdiction_id=      the street's active case categories
    GET  services/{service_code}.{fmt}        a service definition (the category's attributes)
    POST requests.{fmt}                       create a service request (form-encoded, needs an api_key)
    GET  requests.{fmt}                       service requests, filtered (default: the last 90 days, at most 1000)
    GET  requests/{service_request_id}.{fmt}  one service request
    GET  tokens/{token}.{fmt}                 the service request of a report's token

Mapping to Linli:

- `jurisdiction_id` is the street code. One endpoint serves every street, so it is required on every method
  but discovery (400 when missing, 404 when unknown).
- A *service* is an active `CaseCategory` of the street; `service_code` is its code. Service definitions
  (attributes) are declared in one place, `SERVICE_ATTRIBUTES` below, per category code.
- `service_request_id` is the **case** id, not the report id. A GeoReport service request is the issue the
  jurisdiction tracks and works on: its status, the agency responsible, the expected date and the notes all
  belong to the case. Linli merges reports of the same problem (same category, close in place and time) into
  one case when they are submitted, so two clients reporting the same blocked fire passage both receive the
  same `service_request_id` (the `service_notice` says so), a retried POST does not open a second request,
  and `GET requests` lists each problem once (what the spec's analytics use expects). Each report keeps its
  own `token`: `tokens/{token}` answers the case the report belongs to *now* (it follows a staff split). All
  services are `realtime`, so a POST answers the `service_request_id` and, as the spec requires, no token.
- `status` is `closed` for cases closed, rejected or merged by staff (a merged case's `status_notes` names the
  case it was merged into, like the spec's "Duplicate request." example), and `open` for every other state.
- POST creates a `Report` through `services.reports.report_create(source="open311", ...)` (descriptions up to
  Linli's 2,000 characters, within the spec's 4,000). `media_url` and `account_id` are
  stored as report attributes; the URL is never fetched (no outside calls); GET answers the case's first one.
  An `address_string` without lat & long is located against the street's compounds and service points
  (names and addresses); `address_id` is a compound's external id. Nothing else is geocoded.
- Errors use the spec's format (`[{"code": 400, "description": "..."}]` / `<errors><error>...`) with its
  HTTP statuses: 400 bad or missing parameters, 403 missing/invalid/revoked/other-street api_key, 404 unknown
  jurisdiction, service, request or token. Two HTTP-correct additions: 405 for a wrong method and 429 (with
  Retry-After) when a client or address is over its rate. Nothing answers a 500: an unexpected failure is the
  spec's "400 General service error" (and is logged).
- Rate limits (`linli.core.ratelimit`, fixed one-minute windows): every call per client address,
  `LINLI_OPEN311_PER_ADDRESS_PER_MINUTE` (default 120; bad-key attempts count too), and POST per client key,
  `LINLI_OPEN311_POSTS_PER_MINUTE` (default 30).
- Staff issue keys with `linli open311 key create --street CODE --name CLIENT` (services/clients.py).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import re
import xml.etree.ElementTree as ET  # noqa: S405 - we only build XML, never parse untrusted XML
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, re_path, reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from linli.cases.models import Case, CaseCategory, CaseStatus, Open311Client, Queue, Report
from linli.cases.services.clients import client_for_key
from linli.cases.services.reports import report_create
from linli.core import ratelimit
from linli.core.errors import Problem
from linli.core.models import Compound, Street

logger = logging.getLogger(__name__)

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# Sortable; bump when SERVICE_ATTRIBUTES (the service definitions) change.
CHANGESET = "2026-11-30T00:00:00+08:00"
FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
MAX_REQUESTS = 1000  # GET requests answers at most this many (spec: "first 1000 requests")
WINDOW = dt.timedelta(days=90)  # default window, and the longest start_date..end_date span
MAX_DESCRIPTION = 4000  # spec: free form text limited to 4,000 characters
CLOSED_STATES = {CaseStatus.CLOSED, CaseStatus.REJECTED, CaseStatus.MERGED}

# XML: the element name of each item of a list, by the list's element name (the spec's Spark convention).
LIST_ITEMS = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
}


# ----------------------------------------------------------------------------------- service definitions


@dataclass(frozen=True)
class Attribute:
    """One attribute of a service definition (spec: GET Service Definition)."""

    code: str
    datatype: str  # string | number | datetime | text | singlevaluelist | multivaluelist
    description: str
    required: bool = False
    datatype_description: str = ""
    values: tuple[tuple[str, str], ...] = ()  # (key, name) for the list datatypes
    variable: bool = True


@dataclass(frozen=True)
class ServiceExtra:
    """What the spec's service list wants beyond a category row: a group, keywords and attributes."""

    group: str = "隐患 hazards"
    keywords: tuple[str, ...] = ()
    attributes: tuple[Attribute, ...] = ()


_OTHER = ("other", "其他 other")

# The one place where service definitions live, by category code. A category missing here has no attributes
# (`metadata` false) and the default group. Attributes are never required: a report needs only a place, a
# category and (for most) a description, so a client that ignores service definitions still works.
SERVICE_ATTRIBUTES: dict[str, ServiceExtra] = {
    "fire_passage": ServiceExtra(
        group="消防安全 fire safety",
        keywords=("消防通道", "堵塞", "fire lane", "blocked"),
        attributes=(
            Attribute(
                code="blocked_by",
                datatype="singlevaluelist",
                description="通道被什么堵住？What is blocking the passage?",
                values=(("debris", "杂物 debris"), ("vehicle", "车辆 vehicle"), _OTHER),
            ),
        ),
    ),
    "corridor_clutter": ServiceExtra(
        group="消防安全 fire safety",
        keywords=("楼道堆物", "杂物", "stairwell", "clutter"),
        attributes=(
            Attribute(
                code="floor",
                datatype="number",
                description="在第几层？On which floor?",
                datatype_description="楼层数字，地下室填 -1 / a floor number, -1 for the basement",
            ),
            Attribute(
                code="items",
                datatype="multivaluelist",
                description="堆放了什么？What is piled up? (可多选 choose any)",
                values=(
                    ("boxes", "纸箱杂物 boxes and junk"),
                    ("furniture", "家具 furniture"),
                    ("flammables", "易燃物 flammables"),
                    _OTHER,
                ),
            ),
        ),
    ),
    "ebike_indoor_charging": ServiceExtra(
        group="消防安全 fire safety",
        keywords=("电动车进楼", "飞线充电", "电瓶车", "e-bike", "charging"),
        attributes=(
            Attribute(
                code="location_kind",
                datatype="singlevaluelist",
                description="车或充电线在哪里？Where is the e-bike or the cable?",
                values=(
                    ("corridor", "楼道、门厅 corridor or lobby"),
                    ("flying_wire", "飞线（从窗口拉线）cable from a window"),
                    ("indoors", "室内 inside a flat"),
                    _OTHER,
                ),
            ),
        ),
    ),
    "abandoned_vehicle": ServiceExtra(
        group="市容环境 street scene",
        keywords=("僵尸车", "废弃车辆", "abandoned", "vehicle"),
        attributes=(
            Attribute(
                code="vehicle_kind",
                datatype="singlevaluelist",
                description="是什么车？What kind of vehicle?",
                values=(("car", "汽车 car"), ("ebike", "电动车 e-bike"), ("bicycle", "自行车 bicycle"), _OTHER),
            ),
        ),
    ),
    "damaged_facility": ServiceExtra(
        group="市容环境 street scene",
        keywords=("路灯", "井盖", "护栏", "健身器材", "streetlight", "manhole"),
        attributes=(
            Attribute(
                code="facility",
                datatype="singlevaluelist",
                description="哪种设施？Which facility?",
                values=(
                    ("streetlight", "路灯 streetlight"),
                    ("manhole", "井盖 manhole cover"),
                    ("railing", "护栏 railing"),
                    ("fitness", "健身器材 fitness equipment"),
                    _OTHER,
                ),
            ),
        ),
    ),
}


def service_extra(code: str) -> ServiceExtra:
    return SERVICE_ATTRIBUTES.get(code, ServiceExtra())


# -------------------------------------------------------------------------------------------- errors


class Open311Error(Exception):
    """A failure answered in the spec's error format with this HTTP status."""

    def __init__(self, status: int, description: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.headers = headers or {}


def _bad(description: str) -> Open311Error:
    return Open311Error(400, description)


def _missing(field: str) -> Open311Error:
    return Open311Error(400, f"缺少参数 {field} / {field} was not provided")


# ---------------------------------------------------------------------------------------- rendering

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _XML_INVALID.sub("", str(value))


def _xml_element(tag: str, value: Any) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, dict):
        for key, child in value.items():
            element.append(_xml_element(key, child))
    elif isinstance(value, list | tuple):
        item_tag = LIST_ITEMS[tag]
        for child in value:
            element.append(_xml_element(item_tag, child))
    else:
        element.text = _text(value)
    return element


def render(fmt: str, root: str, data: Any, status: int = 200) -> HttpResponse:
    """JSON: `data` as is (a list for list resources, as the spec's examples). XML: `<root>` holding it."""
    if fmt == "xml":
        body = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(_xml_element(root, data), encoding="utf-8")
    else:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return HttpResponse(body, status=status, content_type=FORMATS.get(fmt, FORMATS["json"]))


def error_response(fmt: str, status: int, description: str, headers: dict[str, str] | None = None) -> HttpResponse:
    resp = render(fmt, "errors", [{"code": status, "description": description}], status=status)
    for name, value in (headers or {}).items():
        resp[name] = value
    return resp


def _problem_to_error(problem: Problem) -> Open311Error:
    status = 404 if problem.code in {"not_found", "unknown_category", "unknown_street"} else 400
    status = 403 if problem.code in {"permission_denied", "not_authenticated"} else status
    zh, en = problem.detail("zh-hans") or problem.title("zh-hans"), problem.detail("en") or problem.title("en")
    description = zh if zh == en else f"{zh} / {en}"
    for err in problem.errors:
        field = err.get("field", "")
        msg = " / ".join(m for m in (err.get("message", ""), err.get("message_en", "")) if m)
        description += f"; {field}: {msg}" if field else f"; {msg}"
    return Open311Error(429 if problem.code == "rate_limited" else status, description)


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
                    f"不支持的格式 .{_text(fmt)[:20]}，请用 .json 或 .xml / Unknown format: use .json or .xml",
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
                _rate_limit(
                    f"open311:ip:{ratelimit.client_ip(request) or 'unknown'}",
                    getattr(settings, "LINLI_OPEN311_PER_ADDRESS_PER_MINUTE", 120),
                )
                return view(request, fmt, **kwargs)
            except Open311Error as err:
                return error_response(fmt, err.status, err.description, err.headers)
            except Problem as problem:
                mapped = _problem_to_error(problem)
                return error_response(fmt, mapped.status, mapped.description, mapped.headers)
            except Exception:  # the spec's "General service error"; never a 500
                logger.exception("open311 %s %s failed", request.method, request.path)
                return error_response(fmt, 400, "服务处理失败，请稍后再试 / General service error")

        return wrapper

    return decorator


def _rate_limit(key: str, per_minute: int) -> None:
    allowed, retry_after = ratelimit.hit(key, per_minute, 60)
    if not allowed:
        raise Open311Error(
            429,
            f"请求太频繁，请 {retry_after} 秒后再试 / Too many requests; retry after {retry_after} s",
            {"Retry-After": str(retry_after)},
        )


def _param(request: HttpRequest, name: str) -> str:
    """A parameter from the form body (POST) or the query string; "" when absent or empty (spec: the same)."""
    value = request.POST.get(name) if request.method == "POST" else None
    if value is None:
        value = request.GET.get(name)
    value = (value or "").strip()
    if "\x00" in value:  # PostgreSQL cannot store or compare NUL characters
        raise _bad(f"{name} 含有无效字符 / {name} contains an invalid character")
    return value


def _street(request: HttpRequest) -> Street:
    code = _param(request, "jurisdiction_id")
    if not code:
        raise _missing("jurisdiction_id")
    street = Street.objects.filter(code=code).first()
    if street is None:
        raise Open311Error(404, f"没有这个辖区 jurisdiction_id={_text(code)[:60]} / jurisdiction_id was not found")
    return street


def w3c(value: dt.datetime | None) -> str | None:
    """W3C datetime with the business zone's offset, e.g. 2026-11-30T09:30:00+08:00."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_w3c(value: str, field: str) -> dt.datetime:
    """A W3C datetime with its zone (Z or ±HH:MM), or a complete date (midnight in the business zone)."""
    text = value.strip()
    if "T" in text:
        text = text.replace(" ", "+")  # a '+' offset sent unencoded in a query string arrives as a space
    try:
        if _DATE_ONLY.match(text):
            return timezone.make_aware(dt.datetime.combine(dt.date.fromisoformat(text), dt.time()))
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise _bad(f"{field} 不是 W3C 日期时间 / {field} must use the w3 format, eg 2010-01-01T00:00:00Z") from None
    if parsed.tzinfo is None:
        raise _bad(f"{field} 必须带时区（Z 或 +08:00）/ {field} must include a timezone (Z or ±HH:MM)")
    return parsed


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
    code = _param(request, "jurisdiction_id")
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
        raise Open311Error(404, f"没有这项服务 service_code={_text(code)[:60]} / service_code was not found")
    return category


@open311_view("GET")
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    street = _street(request)
    categories = CaseCategory.objects.filter(street=street, is_active=True).order_by("sort_order", "code")
    return render(fmt, "services", [_service(c) for c in categories])


@open311_view("GET")
def service_definition(request: HttpRequest, fmt: str, service_code: str) -> HttpResponse:
    street = _street(request)
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
    """One service request, fields in the spec's order."""
    updated = case.closed_at if case.status == CaseStatus.CLOSED and case.closed_at else case.updated_at
    return {
        "service_request_id": str(case.pk),
        "status": _status(case),
        "status_notes": _status_notes(case),
        "service_name": case.category.name_zh,
        "service_code": case.category.code,
        "description": case.description or None,
        "agency_responsible": agency_responsible(case),
        "service_notice": sla_notice(case.category),
        "requested_datetime": w3c(case.created_at),
        "updated_datetime": w3c(updated),
        "expected_datetime": w3c(case.resolution_due_at),
        "address": case.address or None,
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
    street = _street(request)
    qs = _cases(street)
    ids = _csv(_param(request, "service_request_id"))
    if ids:  # spec: "This overrides all other arguments."
        if not all(_is_id(i) for i in ids):
            raise _bad("service_request_id 应为数字，用逗号分隔 / service_request_id must be numbers, comma delimited")
        qs = qs.filter(pk__in=[int(i) for i in ids[:MAX_REQUESTS]])
    else:
        codes = _csv(_param(request, "service_code"))
        if codes:
            qs = qs.filter(category__code__in=codes)
        statuses = {s.lower() for s in _csv(_param(request, "status"))}
        if statuses - {"open", "closed"}:
            raise _bad("status 只能是 open 或 closed / status must be open or closed")
        if statuses == {"open"}:
            qs = qs.exclude(status__in=CLOSED_STATES)
        elif statuses == {"closed"}:
            qs = qs.filter(status__in=CLOSED_STATES)
        start_raw, end_raw = _param(request, "start_date"), _param(request, "end_date")
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
            raise _bad("end_date 早于 start_date / end_date is before start_date")
        if end - start > WINDOW:
            raise _bad("start_date 与 end_date 相隔不能超过 90 天 / the range may not span more than 90 days")
        qs = qs.filter(created_at__gte=start, created_at__lte=end)
    cases = list(qs.order_by("-created_at", "-id")[:MAX_REQUESTS])
    return _requests_response(fmt, cases)


@open311_view("GET")
def request_detail(request: HttpRequest, fmt: str, service_request_id: str) -> HttpResponse:
    street = _street(request)
    case = _cases(street).filter(pk=int(service_request_id)).first() if _is_id(service_request_id) else None
    if case is None:
        raise Open311Error(
            404, f"没有这个服务请求 #{_text(service_request_id)[:40]} / service_request_id was not found"
        )
    return _requests_response(fmt, [case])


@open311_view("GET")
def token_detail(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    street = _street(request)
    report = Report.objects.filter(street=street, token=token).only("case_id", "token").first() if token else None
    if report is None:
        raise Open311Error(404, "没有这个 token / token was not found")
    return render(fmt, "service_requests", [{"service_request_id": str(report.case_id), "token": report.token}])


# -------------------------------------------------------------------------------- POST Service Request

_ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
_CJK = re.compile(r"[\u3400-\u9fff]")


def _submitted_attributes(request: HttpRequest) -> dict[str, list[str]]:
    """attribute[code]=value and attribute[code][]=v1&attribute[code][]=v2, as code -> values."""
    submitted: dict[str, list[str]] = {}
    for key in request.POST:
        match = _ATTRIBUTE_KEY.match(key)
        if match:
            values = [v.strip() for v in request.POST.getlist(key) if v.strip()]
            submitted.setdefault(match.group(1), []).extend(values)
    return submitted


def validate_attributes(category: CaseCategory, submitted: dict[str, list[str]]) -> dict[str, Any]:
    """Check the submitted values against the service definition; unknown attribute codes are ignored."""
    clean: dict[str, Any] = {}
    for attr in service_extra(category.code).attributes:
        values = submitted.get(attr.code, [])
        label = f"attribute[{attr.code}]"
        if not values:
            if attr.required:
                raise _missing(label)
            continue
        if attr.datatype == "multivaluelist":
            keys = {k for k, _ in attr.values}
            if any(v not in keys for v in values):
                raise _bad(f"{label} 的取值无效 / {label} has a value that is not in the service definition")
            clean[attr.code] = list(dict.fromkeys(values))
            continue
        if len(values) > 1:
            raise _bad(f"{label} 只能有一个值 / {label} takes one value")
        value = values[0]
        if attr.datatype == "singlevaluelist":
            if value not in {k for k, _ in attr.values}:
                raise _bad(f"{label} 的取值无效 / {label} must be one of the service definition's keys")
            clean[attr.code] = value
        elif attr.datatype == "number":
            try:
                number = float(value)
            except ValueError:
                number = math.nan
            if not math.isfinite(number):
                raise _bad(f"{label} 应为数字 / {label} must be a number")
            clean[attr.code] = int(number) if number.is_integer() else number
        elif attr.datatype == "datetime":
            clean[attr.code] = parse_w3c(value, label).isoformat()
        elif attr.datatype == "string":
            if "\n" in value or len(value) > 200:
                raise _bad(f"{label} 应为一行、不超过 200 字 / {label} must be one line of at most 200 characters")
            clean[attr.code] = value
        else:  # text
            if len(value) > MAX_DESCRIPTION:
                raise _bad(f"{label} 过长 / {label} is longer than {MAX_DESCRIPTION} characters")
            clean[attr.code] = value
    return clean


def _coordinate(raw: str, field: str, limit: float) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > limit:
        raise _bad(f"{field} 不是有效的 WGS-84 坐标 / {field} is not a valid WGS-84 coordinate")
    return value


def geocode(street: Street, address: str) -> tuple[float, float, str] | None:
    """Locate a human-entered address within the street: the compound or service point whose name (or full
    address) it mentions, the longest match winning. Returns (lat, lng, matched name) or None. Local only."""
    from linli.places.models import Place

    text = address.strip()
    if not text:
        return None
    best: tuple[int, float, float, str] | None = None
    rows: list[tuple[str, str, float, float]] = list(
        Compound.objects.filter(street=street).values_list("name", "address", "lat", "lng")
    )
    rows += list(Place.objects.filter(street=street, is_active=True).values_list("name", "address", "lat", "lng"))
    for name, addr, lat, lng in rows:
        for candidate in (name, addr):
            candidate = (candidate or "").strip()
            if len(candidate) >= 2 and candidate in text and (best is None or len(candidate) > best[0]):
                best = (len(candidate), lat, lng, name)
    return (best[1], best[2], best[3]) if best else None


def _location(request: HttpRequest, street: Street) -> tuple[float, float, str]:
    lat_raw, lng_raw = _param(request, "lat"), _param(request, "long")
    address = _param(request, "address_string")
    if len(address) > 200:
        raise _bad("address_string 过长（最多 200 字）/ address_string is longer than 200 characters")
    if lat_raw or lng_raw:
        if not (lat_raw and lng_raw):
            raise _bad("lat 与 long 须同时提供 / lat & long both need to be sent")
        return _coordinate(lat_raw, "lat", 90), _coordinate(lng_raw, "long", 180), address
    address_id = _param(request, "address_id")
    if address_id:
        compound = Compound.objects.filter(street=street, external_id=address_id).first()
        if compound is None:
            raise _bad(f"未知的 address_id={_text(address_id)[:60]} / address_id is not known")
        return compound.lat, compound.lng, address or compound.address or compound.name
    if address:
        located = geocode(street, address)
        if located is None:
            raise _bad(
                "无法定位 address_string，请提供 lat 与 long / address_string could not be located; send lat & long"
            )
        return located[0], located[1], address
    raise _bad(
        "须提供位置：lat 与 long，或 address_string，或 address_id / A location is required: lat & long, "
        "address_string or address_id"
    )


def _contact(request: HttpRequest) -> dict[str, str]:
    email = _param(request, "email")
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            raise _bad("email 格式不正确 / email is not a valid address") from None
        if len(email) > 200:
            raise _bad("email 过长 / email is too long")
    first, last = _param(request, "first_name"), _param(request, "last_name")
    # Chinese names: family name first, no space.
    name = f"{last}{first}" if _CJK.search(first + last) else " ".join(p for p in (first, last) if p)
    contact = {
        "name": name,
        "email": email,
        "phone": _param(request, "phone"),
        "device_id": _param(request, "device_id"),
    }
    limits = {"name": 100, "phone": 40, "device_id": 100}
    for field, limit in limits.items():
        if len(contact[field]) > limit:
            raise _bad(f"{field} 过长 / {field} is longer than {limit} characters")
    return contact


def _media_url(request: HttpRequest) -> str:
    url = _param(request, "media_url")
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise _bad("media_url 不是有效的 http(s) 网址 / media_url is not a valid http(s) URL") from None
        if len(url) > 500:
            raise _bad("media_url 过长 / media_url is too long")
    return url


def _client(request: HttpRequest, street: Street) -> Open311Client:
    raw = _param(request, "api_key")
    if not raw:
        raise Open311Error(403, "缺少 api_key / Missing api_key -- can't proceed with create_request")
    client = client_for_key(raw, street)
    if client is None:
        raise Open311Error(
            403,
            "api_key 无效、已撤销或不属于该辖区 / Invalid api_key for this jurisdiction -- can't proceed with create_request",
        )
    return client


def _request_create(request: HttpRequest, fmt: str) -> HttpResponse:
    street = _street(request)
    client = _client(request, street)
    _rate_limit(f"open311:client:{client.pk}", getattr(settings, "LINLI_OPEN311_POSTS_PER_MINUTE", 30))
    code = _param(request, "service_code")
    if not code:
        raise _missing("service_code")
    category = _active_category(street, code)
    lat, lng, address = _location(request, street)
    description = _param(request, "description")
    if len(description) > MAX_DESCRIPTION:
        raise _bad(f"description 超过 {MAX_DESCRIPTION} 字 / description is longer than {MAX_DESCRIPTION} characters")
    contact = _contact(request)
    attributes = validate_attributes(category, _submitted_attributes(request))
    media_url = _media_url(request)
    if media_url:
        attributes["media_url"] = media_url
    account_id = _param(request, "account_id")[:100]
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


_FMT = r"\.(?P<fmt>[A-Za-z0-9]+)$"

urlpatterns: list[URLPattern] = [
    re_path(r"^$", root, name="open311_root"),
    re_path(r"^discovery" + _FMT, discovery, name="open311_discovery"),
    re_path(r"^services" + _FMT, services, name="open311_services"),
    re_path(r"^services/(?P<service_code>[^/]+)" + _FMT, service_definition, name="open311_service"),
    re_path(r"^requests" + _FMT, requests, name="open311_requests"),
    re_path(r"^requests/(?P<service_request_id>[^/]+)" + _FMT, request_detail, name="open311_request"),
    re_path(r"^tokens/(?P<token>[^/]+)" + _FMT, token_detail, name="open311_token"),
    re_path(r"^(?P<rest>.*)$", not_found, name="open311_not_found"),
]
