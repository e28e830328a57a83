"""A survey's counters (`Tally`), kept in the response's own transaction (the survey row is locked there, so a
read-modify-write of its counters is safe): one statement per response whatever the number of questions
(`fast.tallies_upsert`). The
results read them instead of the answers (10,000 responses × 20 questions: a few hundred rows, not 200,000).
`tallies_rebuild` recounts a survey from its answers with GROUP BY queries (answers written in bulk: the demo,
the benchmark, the migration of surveys answered before the counters)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Min, Sum

from linli.voice.models import CHOICE_KINDS, TALLY_ANSWERED, Answer, QuestionKind, Response, Survey, Tally
from linli.voice.services import fast

Key = tuple[int, int, str, int]  # question id, committee id, channel, bucket
ANSWERED = TALLY_ANSWERED


class _Acc:
    __slots__ = ("hi", "lo", "n", "total")

    def __init__(self) -> None:
        self.n, self.total = 0, 0.0
        self.lo: float | None = None
        self.hi: float | None = None

    def add(self, n: int, total: float, lo: float | None = None, hi: float | None = None) -> None:
        self.n += n
        self.total += total
        if lo is not None:
            self.lo = lo if self.lo is None else min(self.lo, lo)
        if hi is not None:
            self.hi = hi if self.hi is None else max(self.hi, hi)


def _bucket(kind: str, option: int | None, number: float | None) -> int | None:
    if kind in CHOICE_KINDS:
        return option
    if kind == QuestionKind.RATING:
        return int(number) if number is not None else None
    if kind == QuestionKind.NUMBER:
        return 0
    return None  # text, date, photo, place: only "answered" is counted


def _increments(response: Response, values: Iterable[Any]) -> dict[Key, _Acc]:
    committee, channel = response.committee_id or 0, response.channel
    acc: dict[Key, _Acc] = defaultdict(_Acc)
    acc[(0, committee, channel, 0)].add(1, 0)
    answered: set[int] = set()
    for v in values:
        q = v.question
        if q.pk not in answered:
            answered.add(q.pk)
            acc[(q.pk, committee, channel, ANSWERED)].add(1, 0)
        bucket = _bucket(q.kind, v.option, v.number)
        if bucket is not None:
            number = v.number if v.number is not None else 0.0
            keep = q.kind == QuestionKind.NUMBER
            acc[(q.pk, committee, channel, bucket)].add(1, number, number if keep else None, number if keep else None)
    return acc


def tallies_add(response: Response, values: Iterable[Any]) -> None:
    """Count one response (called inside its transaction): one statement (`fast.tallies_upsert`)."""
    acc = _increments(response, values)
    survey_id = response.survey_id
    fast.tallies_upsert([(survey_id, *key, a.n, a.total, a.lo, a.hi) for key, a in acc.items()])


def tallies_rebuild(survey: Survey) -> int:
    """Recount a survey's counters from its responses and answers; returns the rows written."""
    kinds = dict(survey.questions.values_list("id", "kind"))
    acc: dict[Key, _Acc] = defaultdict(_Acc)
    responses = Response.objects.filter(survey=survey).order_by()
    for committee, channel, n in responses.values_list("committee_id", "channel").annotate(n=Count("id")):
        acc[(0, committee or 0, channel, 0)].add(n, 0)
    answers = Answer.objects.filter(response__survey=survey).order_by()
    for qid, committee, channel, n in answers.values_list("question_id", "response__committee_id",
                                                          "response__channel").annotate(
            n=Count("response_id", distinct=True)):  # fmt: skip
        acc[(qid, committee or 0, channel, ANSWERED)].add(n, 0)
    grouped = answers.values_list("question_id", "response__committee_id", "response__channel", "option", "number")
    for qid, committee, channel, option, number, n in grouped.annotate(n=Count("id")):
        kind = kinds.get(qid, "")
        if kind == QuestionKind.NUMBER:
            continue
        bucket = _bucket(kind, option, number)
        if bucket is not None:
            acc[(qid, committee or 0, channel, bucket)].add(n, (number or 0.0) * n)
    numbers = [q for q, k in kinds.items() if k == QuestionKind.NUMBER]
    stats = answers.filter(question_id__in=numbers).values_list("question_id", "response__committee_id",
                                                               "response__channel")  # fmt: skip
    for qid, committee, channel, n, total, lo, hi in stats.annotate(
            n=Count("id"), t=Sum("number"), lo=Min("number"), hi=Max("number")):  # fmt: skip
        acc[(qid, committee or 0, channel, 0)].add(n, total or 0.0, lo, hi)
    rows = [Tally(survey=survey, question_id=k[0], committee_id=k[1], channel=k[2], bucket=k[3], n=a.n,
                  total=a.total, lo=a.lo, hi=a.hi) for k, a in acc.items()]  # fmt: skip
    with transaction.atomic():
        Survey.objects.select_for_update().filter(pk=survey.pk).first()
        Tally.objects.filter(survey=survey).delete()
        Tally.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
