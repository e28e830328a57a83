"""Open311 request parameters: reading them (form body or query string), the jurisdiction, rate limits, and the
POST Service Request's location, contact, attributes, media_url and api_key, each checked against the spec."""

from __future__ import annotations

import math
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.http import HttpRequest

from linli.cases.models import CaseCategory, Open311Client
from linli.cases.open311.definitions import MAX_DESCRIPTION, service_extra
from linli.cases.open311.render import Open311Error, bad, missing, parse_w3c, xml_text
from linli.cases.services.clients import client_for_key
from linli.cases.services.locations import address_geocode
from linli.core import ratelimit
from linli.core.inputs import InputError, clean_text
from linli.core.models import Compound, Street


def rate_limit(key: str, per_minute: int) -> None:
    allowed, retry_after = ratelimit.hit(key, per_minute, 60)
    if not allowed:
        raise Open311Error(
            429,
            f"请求太频繁，请 {retry_after} 秒后再试 / Too many requests; retry after {retry_after} s",
            {"Retry-After": str(retry_after)},
        )


def param(request: HttpRequest, name: str) -> str:
    """A parameter from the form body (POST) or the query string; "" when absent or empty (spec: the same)."""
    value = request.POST.get(name) if request.method == "POST" else None
    if value is None:
        value = request.GET.get(name)
    try:  # linli.core.inputs' rules: NUL (PostgreSQL cannot store or compare it) refused, controls removed
        return clean_text((value or "").strip()).strip()
    except InputError:
        raise bad(f"{name} 含有无效字符 / {name} contains an invalid character") from None


def street_of(request: HttpRequest) -> Street:
    code = param(request, "jurisdiction_id")
    if not code:
        raise missing("jurisdiction_id")
    street = Street.objects.filter(code=code).first()
    if street is None:
        raise Open311Error(404, f"没有这个辖区 jurisdiction_id={xml_text(code)[:60]} / jurisdiction_id was not found")
    return street


# -------------------------------------------------------------------------------- POST Service Request

_ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
_CJK = re.compile(r"[\u3400-\u9fff]")


def submitted_attributes(request: HttpRequest) -> dict[str, list[str]]:
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
                raise missing(label)
            continue
        if attr.datatype == "multivaluelist":
            keys = {k for k, _ in attr.values}
            if any(v not in keys for v in values):
                raise bad(f"{label} 的取值无效 / {label} has a value that is not in the service definition")
            clean[attr.code] = list(dict.fromkeys(values))
            continue
        if len(values) > 1:
            raise bad(f"{label} 只能有一个值 / {label} takes one value")
        value = values[0]
        if attr.datatype == "singlevaluelist":
            if value not in {k for k, _ in attr.values}:
                raise bad(f"{label} 的取值无效 / {label} must be one of the service definition's keys")
            clean[attr.code] = value
        elif attr.datatype == "number":
            try:
                number = float(value)
            except ValueError:
                number = math.nan
            if not math.isfinite(number):
                raise bad(f"{label} 应为数字 / {label} must be a number")
            clean[attr.code] = int(number) if number.is_integer() else number
        elif attr.datatype == "datetime":
            clean[attr.code] = parse_w3c(value, label).isoformat()
        elif attr.datatype == "string":
            if "\n" in value or len(value) > 200:
                raise bad(f"{label} 应为一行、不超过 200 字 / {label} must be one line of at most 200 characters")
            clean[attr.code] = value
        else:  # text
            if len(value) > MAX_DESCRIPTION:
                raise bad(f"{label} 过长 / {label} is longer than {MAX_DESCRIPTION} characters")
            clean[attr.code] = value
    return clean


def _coordinate(raw: str, field: str, limit: float) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > limit:
        raise bad(f"{field} 不是有效的 WGS-84 坐标 / {field} is not a valid WGS-84 coordinate")
    return value


def location_param(request: HttpRequest, street: Street) -> tuple[float, float, str]:
    lat_raw, lng_raw = param(request, "lat"), param(request, "long")
    address = param(request, "address_string")
    if len(address) > 200:
        raise bad("address_string 过长（最多 200 字）/ address_string is longer than 200 characters")
    if lat_raw or lng_raw:
        if not (lat_raw and lng_raw):
            raise bad("lat 与 long 须同时提供 / lat & long both need to be sent")
        return _coordinate(lat_raw, "lat", 90), _coordinate(lng_raw, "long", 180), address
    address_id = param(request, "address_id")
    if address_id:
        compound = Compound.objects.filter(street=street, external_id=address_id).first()
        if compound is None:
            raise bad(f"未知的 address_id={xml_text(address_id)[:60]} / address_id is not known")
        return compound.lat, compound.lng, address or compound.address or compound.name
    if address:
        located = address_geocode(street=street, address=address)
        if located is None:
            raise bad(
                "无法定位 address_string，请提供 lat 与 long / address_string could not be located; send lat & long"
            )
        return located[0], located[1], address
    raise bad(
        "须提供位置：lat 与 long，或 address_string，或 address_id / A location is required: lat & long, "
        "address_string or address_id"
    )


def contact_param(request: HttpRequest) -> dict[str, str]:
    email = param(request, "email")
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            raise bad("email 格式不正确 / email is not a valid address") from None
        if len(email) > 200:
            raise bad("email 过长 / email is too long")
    first, last = param(request, "first_name"), param(request, "last_name")
    # Chinese names: family name first, no space.
    name = f"{last}{first}" if _CJK.search(first + last) else " ".join(p for p in (first, last) if p)
    contact = {
        "name": name,
        "email": email,
        "phone": param(request, "phone"),
        "device_id": param(request, "device_id"),
    }
    limits = {"name": 100, "phone": 40, "device_id": 100}
    for field, limit in limits.items():
        if len(contact[field]) > limit:
            raise bad(f"{field} 过长 / {field} is longer than {limit} characters")
    return contact


def media_url_param(request: HttpRequest) -> str:
    url = param(request, "media_url")
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise bad("media_url 不是有效的 http(s) 网址 / media_url is not a valid http(s) URL") from None
        if len(url) > 500:
            raise bad("media_url 过长 / media_url is too long")
    return url


def client_of(request: HttpRequest, street: Street) -> Open311Client:
    raw = param(request, "api_key")
    if not raw:
        raise Open311Error(403, "缺少 api_key / Missing api_key -- can't proceed with create_request")
    client = client_for_key(raw, street)
    if client is None:
        raise Open311Error(
            403,
            "api_key 无效、已撤销或不属于该辖区 / Invalid api_key for this jurisdiction -- can't proceed with create_request",
        )
    return client
