"""The input edge: what every value from outside is checked for before a domain sees it (API and imports alike).

One set of rules, applied in three places (docs/architecture.md, "Input edges"):

* `InputEdgeMiddleware` (linli.core.middleware) looks at the raw request: a path or query string with a NUL byte,
  a body over the size limit (413); linli.api answers what ninja cannot parse (not JSON, not UTF-8, too deep: 400,
  more than DATA_UPLOAD_MAX_NUMBER_FIELDS form fields: 400);
* `check_operation_inputs`, a django-ninja operation decorator that linli.api applies to every endpoint, walks the
  validated parameters and body (`checked`);
* the imports call `clean_text`, `check_int` and `check_date` on what they read (linli.core.imports, lenient,
  and each domain's importer through them).

The rules:

* text: a NUL byte (PostgreSQL refuses it) or a lone UTF-16 surrogate (`"\\ud800"` in JSON; no encoding can
  store it) is refused; other control characters (C0 but tab and line breaks, DEL, C1) and the bidirectional
  embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069: "RTL override" spoofing) are removed;
* names and titles (`label=True`; in API inputs every field called `name`, `title` or ending in `_name`,
  `_title`, optionally with a language suffix such as `name_en`) are one line: runs of white space become one
  space, invisible characters at the ends are dropped, and a value of only white space or invisible characters
  (zero-width spaces, U+3000) is refused;
* integers fit a signed 64-bit column (±2^63); a page number (an API field called `page`) is at most MAX_PAGE,
  so that no page's offset overflows; floats are finite; decimals are finite and below 10^18;
* dates and times lie between 1900-01-01 and 2100-12-31 (`DATE_MIN`, `DATE_MAX`).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel

from linli.core.errors import Problem, field_error
from linli.core.i18n import Text

F = TypeVar("F", bound=Callable[..., Any])

INT_MIN = -(2**63)
INT_MAX = 2**63 - 1
DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2100, 12, 31)
DECIMAL_LIMIT = Decimal(10) ** 18
MAX_JSON_DEPTH = 64
MAX_PAGE = 1_000_000  # × at most a few hundred rows a page: an OFFSET far inside 64 bits

# Removed from every text: C0 controls but tab, LF and CR; DEL and C1; bidirectional embeddings, overrides and
# isolates.
_REMOVED = [c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D) and c != 0x00]
_REMOVED += list(range(0x7F, 0xA0)) + list(range(0x202A, 0x202F)) + list(range(0x2066, 0x206A))
_REMOVE_TABLE = dict.fromkeys(_REMOVED)
_SURROGATE = re.compile("[\ud800-\udfff]")
# Characters that show nothing: format (zero-width space, BOM, joiners), separators, controls; plus fillers.
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Zs", "Zl", "Zp", "Cc", "Mn", "Me"})
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_LABEL_FIELD = re.compile(r"(?:^|_)(?:name|title)(?:_[a-z]{2}(?:_[a-z]{2,4})?)?$")


class InputError(ValueError):
    """A value the edge refuses; `message` is a lazy zh-Hans msgid."""

    def __init__(self, message: Text, kind: str) -> None:
        super().__init__(str(message))
        self.message = message
        self.kind = kind


def _invisible(char: str) -> bool:
    return char in _FILLERS or unicodedata.category(char) in _INVISIBLE_CATEGORIES


def is_label_field(name: str) -> bool:
    """Whether an input field holds a name or title (one line, something visible)."""
    return bool(_LABEL_FIELD.search(name))


def clean_text(value: str, *, label: bool = False) -> str:
    """`value` with the removed characters gone (and, for a label, on one line, ends trimmed); raises InputError
    for a NUL byte, a lone surrogate, or a label that shows nothing."""
    if not label and value.isprintable():
        # The common case, at the cost of one C loop: no NUL, surrogate or removed character is printable (they
        # are all in the categories Cc, Cf and Cs), and nothing else applies to a text that is not a label.
        return value
    if "\x00" in value:
        raise InputError(_("不能包含空字符（NUL）"), "nul_character")
    if _SURROGATE.search(value):
        raise InputError(_("包含无效的字符（孤立的 UTF-16 代理项）"), "lone_surrogate")
    cleaned = value.translate(_REMOVE_TABLE)
    if label:
        cleaned = " ".join(cleaned.split())
        start, end = 0, len(cleaned)
        while start < end and _invisible(cleaned[start]):
            start += 1
        while end > start and _invisible(cleaned[end - 1]):
            end -= 1
        cleaned = cleaned[start:end]
        if value and not cleaned:
            raise InputError(_("不能只包含空白或不可见字符"), "invisible_text")
    return cleaned


def check_int(value: int) -> int:
    if not INT_MIN <= value <= INT_MAX:
        raise InputError(_("数值超出范围"), "int_out_of_range")
    return value


def check_float(value: float) -> float:
    if not math.isfinite(value):
        raise InputError(_("应为有限的数字"), "float_not_finite")
    return value


def check_decimal(value: Decimal) -> Decimal:
    if not value.is_finite() or abs(value) >= DECIMAL_LIMIT:
        raise InputError(_("数值超出范围"), "decimal_out_of_range")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -18:
        raise InputError(_("小数位数过多"), "decimal_out_of_range")
    return value


def check_date(value: dt.date) -> dt.date:
    """A date or datetime between DATE_MIN and DATE_MAX."""
    day = value.date() if isinstance(value, dt.datetime) else value
    if not DATE_MIN <= day <= DATE_MAX:
        raise InputError(
            format_lazy(_("日期应在 {min} 至 {max} 之间"), min=DATE_MIN.isoformat(), max=DATE_MAX.isoformat()),
            "date_out_of_range",
        )
    return value


def check_page(value: Any, field: str, errors: list[dict[str, Any]]) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and value > MAX_PAGE:
        errors.append(field_error(field, format_lazy(_("页码不能超过 {max}"), max=MAX_PAGE), type="less_than_equal"))


@functools.cache
def _model_fields(model: type[BaseModel]) -> tuple[tuple[str, bool], ...]:
    """A schema's declared fields, each with whether it holds a label: read once per schema class."""
    return tuple((name, is_label_field(name)) for name in model.model_fields)


def checked(value: Any, field: str, errors: list[dict[str, Any]], *, label: bool = False, depth: int = 0) -> Any:
    """`value` (a validated parameter or body: text, numbers, dates, pydantic models, lists, dicts) with its text
    cleaned; each refused value adds a `field_error` to `errors` (the value is then returned unchanged)."""
    try:
        if isinstance(value, str):
            return clean_text(value, label=label)
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int):
            return check_int(value)
        if isinstance(value, float):
            return check_float(value)
        if isinstance(value, Decimal):
            return check_decimal(value)
        if isinstance(value, dt.date):
            return check_date(value)
        if isinstance(value, UploadedFile):
            if value.name:
                value.name = clean_text(value.name)
            return value
    except InputError as exc:
        errors.append(field_error(field, exc.message, type=exc.kind))
        return value
    if depth > MAX_JSON_DEPTH:
        errors.append(field_error(field, _("嵌套层数过多"), type="too_deep"))
        return value
    prefix = f"{field}." if field else ""
    if isinstance(value, BaseModel):
        fields = _model_fields(type(value))
        if value.model_extra:
            fields += tuple((name, is_label_field(name)) for name in value.model_extra)
        for name, is_label in fields:
            old = getattr(value, name, None)
            if name == "page":
                check_page(old, prefix + name, errors)
            new = checked(old, prefix + name, errors, label=is_label, depth=depth + 1)
            if new is not old:
                value.__dict__[name] = new
        return value
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            new_key = checked(key, prefix + str(key), errors, depth=depth + 1)
            name = key if isinstance(key, str) else ""
            out[new_key] = checked(item, prefix + str(key), errors, label=is_label_field(name), depth=depth + 1)
        return out
    if isinstance(value, list | tuple):
        items = [checked(item, f"{prefix}{i}", errors, label=label, depth=depth + 1) for i, item in enumerate(value)]
        return type(value)(items) if isinstance(value, tuple) else items
    return value


def check_operation_inputs(view: F) -> F:
    """django-ninja operation decorator (linli.api applies it to every endpoint): after ninja has validated the
    parameters and body, apply the rules above; any refusal answers 422 `validation_error` with every field."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        errors: list[dict[str, Any]] = []
        for name, value in kwargs.items():
            if name == "page":
                check_page(value, name, errors)
            # A body schema's fields are named without the parameter (as ninja's own errors name them).
            field = "" if isinstance(value, BaseModel) else name
            kwargs[name] = checked(value, field, errors, label=is_label_field(name))
        if errors:
            raise Problem("validation_error", errors=errors)
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]
