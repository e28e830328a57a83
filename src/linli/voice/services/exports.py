"""A survey's answers as spreadsheet rows, de-identified: no name, phone, account or household; the committee,
the channel and the day only. Text passes `core.spreadsheets` (phones masked, formula-safe)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from linli.core.i18n import choice_label
from linli.voice.models import CHOICE_KINDS, Answer, Channel, QuestionKind, Response, Survey

MAX_ROWS = 50_000


def export_rows(survey: Survey) -> tuple[list[str], list[list[Any]]]:
    questions = list(survey.questions.all())
    header = ["序号 No.", "居委 Committee", "方式 Channel", "日期 Date", *[q.text for q in questions]]
    values: dict[int, dict[int, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for rid, qid, option, number, text in (
        Answer.objects.filter(question__survey=survey)
        .order_by("response_id", "question_id", "number", "id")
        .values_list("response_id", "question_id", "option", "number", "text")[: MAX_ROWS * 20]
    ):
        values[rid][qid].append((option, number, text))
    by_q = {q.pk: q for q in questions}
    rows = []
    responses = Response.objects.filter(survey=survey).select_related("committee").order_by("id")[:MAX_ROWS]
    for n, r in enumerate(responses, start=1):
        cells: list[Any] = [n, r.committee.name if r.committee else "", str(choice_label(Channel, r.channel)),
                            r.created_at.date().isoformat()]  # fmt: skip
        for q in questions:
            cells.append(_cell(by_q[q.pk], values[r.pk].get(q.pk, [])))
        rows.append(cells)
    return header, rows


def _cell(q: Any, vals: list[Any]) -> Any:
    if not vals:
        return ""
    if q.kind in CHOICE_KINDS:
        return "、".join(str(q.options[o]) for o, _n, _t in vals if o is not None and 0 <= o < len(q.options))
    if q.kind in (QuestionKind.RATING, QuestionKind.NUMBER):
        return vals[0][1]
    if q.kind == QuestionKind.PHOTO:
        return "照片 photo"
    return vals[0][2]
