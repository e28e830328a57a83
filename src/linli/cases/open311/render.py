"""Open311 bodies: JSON as is, XML with the spec's element names; the spec's error format; W3C datetimes."""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET  # noqa: S405 - we only build XML, never parse untrusted XML
from typing import Any

from django.http import HttpResponse
from django.utils import timezone

from linli.cases.open311.definitions import FORMATS
from linli.core.errors import Problem
from linli.core.i18n import both_languages

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


# -------------------------------------------------------------------------------------------- errors


class Open311Error(Exception):
    """A failure answered in the spec's error format with this HTTP status."""

    def __init__(self, status: int, description: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.headers = headers or {}


def bad(description: str) -> Open311Error:
    return Open311Error(400, description)


def missing(field: str) -> Open311Error:
    return Open311Error(400, f"缺少参数 {field} / {field} was not provided")


# ---------------------------------------------------------------------------------------- rendering

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: Any) -> str:
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
        element.text = xml_text(value)
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


def problem_to_error(problem: Problem) -> Open311Error:
    status = 404 if problem.code in {"not_found", "unknown_category", "unknown_street"} else 400
    status = 403 if problem.code in {"permission_denied", "not_authenticated"} else status
    description = both_languages(problem.detail or problem.title)
    for err in problem.errors:
        field = err.get("field", "")
        msg = both_languages(err.get("message", ""))
        description += f"; {field}: {msg}" if field else f"; {msg}"
    return Open311Error(429 if problem.code == "rate_limited" else status, description)


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
        raise bad(f"{field} 不是 W3C 日期时间 / {field} must use the w3 format, eg 2010-01-01T00:00:00Z") from None
    if parsed.tzinfo is None:
        raise bad(f"{field} 必须带时区（Z 或 +08:00）/ {field} must include a timezone (Z or ±HH:MM)")
    return parsed
