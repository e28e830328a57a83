"""Checking a response's answers against its questions: each question type's value, the conditions that show a
question, required answers. Pure functions over the questions (no writes): `answers_check` returns the rows to
store or raises `validation_error` naming every question that failed (`errors[].question_id`)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem, field_error
from linli.core.i18n import Text
from linli.voice.models import ConditionOp, Question, QuestionKind

K = QuestionKind
SHORT_MAX = 200
LONG_MAX = 2000
PHOTO_MAX_BYTES = 8 * 1024 * 1024


@dataclass
class Value:
    """One answer row to store: `option` for a chosen option (a ranking also has its rank in `number`)."""

    question: Question
    option: int | None = None
    number: float | None = None
    text: str = ""
    photo: bytes | None = None


class Invalid(Exception):
    def __init__(self, message: Text) -> None:
        super().__init__(str(message))
        self.message = message


def _option(q: Question, raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw < len(q.options):
        raise Invalid(format_lazy(_("应为 0 至 {last} 之间的选项编号"), last=len(q.options) - 1))
    return raw


def _options(q: Question, raw: Any) -> list[int]:
    if not isinstance(raw, list) or not raw:
        raise Invalid(_("应为选项编号的列表"))
    chosen = [_option(q, r) for r in raw]
    if len(set(chosen)) != len(chosen):
        raise Invalid(_("同一选项不能选两次"))
    return chosen


def _number(raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise Invalid(_("应为数字"))
    return float(raw)


def _text(raw: Any, limit: int) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise Invalid(_("应为文字"))
    if len(raw) > limit:
        raise Invalid(format_lazy(_("不能超过 {max} 个字"), max=limit))
    return raw.strip()


def _photo(raw: Any) -> bytes:
    """A photo is sent as a data URL (`data:image/jpeg;base64,...`), or plain base64."""
    if not isinstance(raw, str) or not raw:
        raise Invalid(_("应为照片（base64 编码）"))
    body = raw.split(",", 1)[1] if raw.startswith("data:") and "," in raw else raw
    if len(body) > PHOTO_MAX_BYTES * 4 // 3 + 4:
        raise Invalid(_("照片太大"))
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Invalid(_("照片编码不正确")) from exc


def value_check(q: Question, raw: Any) -> list[Value]:
    """The rows one question's raw answer stores; raises Invalid with the reason."""
    kind = q.kind
    if kind == K.SINGLE:
        return [Value(q, option=_option(q, raw))]
    if kind == K.MULTIPLE:
        chosen = _options(q, raw)
        if q.max_choices and len(chosen) > q.max_choices:
            raise Invalid(format_lazy(_("最多选 {max} 项"), max=q.max_choices))
        return [Value(q, option=o) for o in chosen]
    if kind == K.RANKING:
        chosen = _options(q, raw)
        return [Value(q, option=o, number=float(rank)) for rank, o in enumerate(chosen, start=1)]
    if kind == K.RATING:
        if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 5:
            raise Invalid(_("评分应为 1 至 5 的整数"))
        return [Value(q, number=float(raw))]
    if kind == K.NUMBER:
        number = _number(raw)
        if q.min_value is not None and number < q.min_value or q.max_value is not None and number > q.max_value:
            raise Invalid(format_lazy(_("应在 {min} 至 {max} 之间"), min=_fmt(q.min_value), max=_fmt(q.max_value)))
        return [Value(q, number=number)]
    if kind in (K.SHORT_TEXT, K.LONG_TEXT):
        return [Value(q, text=_text(raw, SHORT_MAX if kind == K.SHORT_TEXT else LONG_MAX))]
    if kind == K.DATE:
        try:
            day = dt.date.fromisoformat(raw) if isinstance(raw, str) and len(raw) == 10 else None
        except ValueError:
            day = None
        if day is None or not dt.date(1900, 1, 1) <= day <= dt.date(2100, 12, 31):
            raise Invalid(_("日期格式应为 YYYY-MM-DD"))
        return [Value(q, text=day.isoformat())]
    if kind == K.PLACE:
        if not isinstance(raw, dict) or set(raw) != {"lat", "lng"}:
            raise Invalid(_('位置应为 {"lat": 纬度, "lng": 经度}'))
        lat, lng = _number(raw["lat"]), _number(raw["lng"])
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise Invalid(_("坐标不正确"))
        return [Value(q, text=f"{lat:.6f},{lng:.6f}")]
    if kind == K.PHOTO:
        return [Value(q, photo=_photo(raw))]
    raise Invalid(_("不支持的题型"))  # pragma: no cover - the kinds are a closed list


def _fmt(value: float | None) -> str:
    return "…" if value is None else f"{value:g}"


def _matches(q: Question, given: Any, op: str, expected: Any) -> bool:
    if given is None:
        return False
    if op == ConditionOp.INCLUDES:
        if isinstance(given, list):
            return expected in given
        return isinstance(given, str) and str(expected) in given
    equal = sorted(given) == sorted(expected) if isinstance(given, list) and isinstance(expected, list) else (
        given == expected
    )  # fmt: skip
    return equal if op == ConditionOp.EQUALS else not equal


def visible(q: Question, given: dict[int, Any], by_id: dict[int, Question], shown: set[int]) -> bool:
    """Whether `q` is shown after the earlier answers `given`: no condition, or its earlier question is shown,
    answered, and its answer equals / does not equal / includes the value."""
    cond = q.condition
    if not cond:
        return True
    target = int(cond.get("question", 0) or 0)
    if target not in shown or target not in by_id:
        return False
    return _matches(by_id[target], given.get(target), str(cond.get("op", "")), cond.get("value"))


def condition_problems(questions: Sequence[Question]) -> list[str]:
    """Why a survey's conditions are unusable (for the survey editor): each must name an earlier question."""
    seen: dict[int, Question] = {}
    out = []
    for q in questions:
        cond = q.condition
        if cond:
            target = cond.get("question")
            if target not in seen or cond.get("op") not in ConditionOp.values:
                out.append(f"{q.pk}")
        seen[q.pk] = q
    return out


def answers_check(questions: Sequence[Question], raw: dict[str, Any], *, drop_hidden: bool = False) -> list[Value]:
    """Every answer checked in question order: an answer to an unknown or hidden question, a wrong value, or a
    missing required answer is refused together with the others (`validation_error`, one error per question).
    `drop_hidden`: a page's form (all questions shown without script) may carry answers to hidden ones: ignored."""
    by_id = {q.pk: q for q in questions}
    errors: list[dict[str, Any]] = []
    given: dict[int, Any] = {}
    for key in raw:
        qid = int(key) if str(key).isdigit() else None
        if qid is None or qid not in by_id:
            errors.append(field_error(f"answers.{key}", _("没有这道题"), question_id=qid))
    shown: set[int] = set()
    values: list[Value] = []
    for q in questions:
        value = raw.get(str(q.pk), raw.get(q.pk))  # type: ignore[call-overload]
        empty = value is None or value == "" or value == []
        if not visible(q, given, by_id, shown):
            if not empty and not drop_hidden:
                errors.append(field_error(f"answers.{q.pk}", _("按前面的回答，这道题不需要回答"), question_id=q.pk))
            continue
        shown.add(q.pk)
        if empty:
            if q.required:
                errors.append(field_error(f"answers.{q.pk}", _("这道题必须回答"), question_id=q.pk))
            continue
        try:
            rows = value_check(q, value)
        except Invalid as exc:
            errors.append(field_error(f"answers.{q.pk}", exc.message, question_id=q.pk))
            continue
        given[q.pk] = value
        values.extend(rows)
    if errors:
        raise Problem("validation_error", detail=_("有的回答不符合要求"), errors=errors)
    return values
