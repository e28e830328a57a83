"""Reading a survey page's form into the API's answers: `q<id>` fields, one per question (a ranking's options are
`q<id>_<option>` rank numbers, a place is `q<id>_lat` / `q<id>_lng`, a photo a file)."""

from __future__ import annotations

import base64
from typing import Any

from django.http import HttpRequest

from linli.voice.models import Question, QuestionKind

K = QuestionKind


def _int(value: str) -> int | str:
    value = value.strip()
    return int(value) if value.lstrip("-").isdigit() and len(value) < 10 else value


def _float(value: str) -> float | str:
    try:
        return float(value)
    except ValueError:
        return value.strip()


def answers_from_form(request: HttpRequest, questions: list[Question]) -> dict[str, Any]:
    post, out = request.POST, {}
    for q in questions:
        key = f"q{q.pk}"
        value: Any = None
        if q.kind in (K.SINGLE, K.RATING):
            raw = post.get(key, "")
            value = _int(raw) if raw else None
        elif q.kind == K.MULTIPLE:
            value = [_int(v) for v in post.getlist(key) if v] or None
        elif q.kind == K.RANKING:
            ranks = []
            for i in range(len(q.options)):
                raw = post.get(f"{key}_{i}", "").strip()
                if raw.isdigit():
                    ranks.append((int(raw), i))
            value = [i for _r, i in sorted(ranks)] or None
        elif q.kind == K.NUMBER:
            raw = post.get(key, "").strip()
            value = _float(raw) if raw else None
        elif q.kind == K.PLACE:
            lat, lng = post.get(f"{key}_lat", "").strip(), post.get(f"{key}_lng", "").strip()
            value = {"lat": _float(lat), "lng": _float(lng)} if lat or lng else None
        elif q.kind == K.PHOTO:
            upload = request.FILES.get(key)
            if upload is not None:
                value = base64.b64encode(upload.read(8 * 1024 * 1024 + 1)).decode("ascii")
        else:
            value = post.get(key, "").strip() or None
        if value is not None:
            out[str(q.pk)] = value
    return out


def errors_by_question(problem_errors: list[dict[str, Any]]) -> dict[int, str]:
    return {int(e["question_id"]): str(e.get("message", "")) for e in problem_errors if e.get("question_id")}
