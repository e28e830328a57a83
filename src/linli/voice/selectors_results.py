"""A survey's results, counted by the database: one GROUP BY over the answer rows for every choice, ranking and
rating question at once, one for numbers, one for how many answered each question; words of text answers (staff
only) counted with jieba over the latest answers. Filters: committee and channel. Public results (after close)
carry choices and ratings only, never text."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import jieba
from django.core.cache import cache
from django.db.models import Max, Min, QuerySet, Sum
from django.utils import timezone

from linli.core.charts import bar_chart
from linli.core.models import Committee
from linli.core.phones import mask_personal_text
from linli.voice.models import (
    CHOICE_KINDS,
    TALLY_ANSWERED,
    TEXT_KINDS,
    Answer,
    Audience,
    Channel,
    CommitteeHouseholds,
    Question,
    QuestionKind,
    Response,
    Survey,
    Tally,
)

ANSWERED = TALLY_ANSWERED

jieba.setLogLevel(30)
WORDS_FROM = 2000  # the latest text answers a word cloud reads
WORDS_SHOWN = 20
TEXTS_SHOWN = 30
STOP = frozenset(
    [
        "的",
        "了",
        "和",
        "是",
        "在",
        "我",
        "我们",
        "也",
        "有",
        "就",
        "都",
        "要",
        "希望",
        "可以",
        "一个",
        "没有",
        "能",
        "很",
        "还",
        "吧",
        "呢",
        "啊",
        "等",
        "与",
        "或",
        "及",
        "对",
        "把",
        "被",
        "让",
        "给",
    ]
)


@dataclass
class Filters:
    committee_id: int | None = None
    channel: str = ""

    def responses(self, survey: Survey) -> QuerySet[Response]:
        qs = Response.objects.filter(survey=survey)
        if self.committee_id:
            qs = qs.filter(committee_id=self.committee_id)
        if self.channel in Channel.values:
            qs = qs.filter(channel=self.channel)
        return qs

    def answers(self, survey: Survey, question_ids: list[int] | None = None) -> QuerySet[Answer]:
        ids = question_ids if question_ids is not None else list(survey.questions.values_list("id", flat=True))
        qs = Answer.objects.filter(question_id__in=ids)
        if self.committee_id:
            qs = qs.filter(response__committee_id=self.committee_id)
        if self.channel in Channel.values:
            qs = qs.filter(response__channel=self.channel)
        return qs.order_by()


@dataclass
class QuestionResult:
    question: Question
    answered: int = 0
    counts: list[int] = field(default_factory=list)  # per option, or per star 1..5
    average: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    rank_average: list[float | None] = field(default_factory=list)
    words: list[tuple[str, int]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        q = self.question
        out: dict[str, Any] = {"question_id": q.pk, "kind": q.kind, "text": q.text, "answered": self.answered}
        if q.kind in CHOICE_KINDS:
            out["options"] = [{"label": label, "count": n} for label, n in zip(q.options, self.counts, strict=False)]
            if q.kind == QuestionKind.RANKING:
                out["rank_average"] = self.rank_average
        elif q.kind == QuestionKind.RATING:
            out["stars"] = self.counts
            out["average"] = self.average
        elif q.kind == QuestionKind.NUMBER:
            out |= {"average": self.average, "min": self.minimum, "max": self.maximum}
        elif q.kind in TEXT_KINDS:
            out |= {"words": [{"word": w, "count": n} for w, n in self.words], "texts": self.texts}
        return out

    def labels(self) -> list[str]:
        """The chart's labels: the options, or the words of text answers."""
        return [str(o) for o in self.question.options] + [w for w, _n in self.words]

    def chart(self) -> str:
        q = self.question
        if q.kind in CHOICE_KINDS:
            values: list[float] = (
                list(self.counts) if q.kind != QuestionKind.RANKING else [round(r or 0, 2) for r in self.rank_average]
            )
            return bar_chart(title=q.text, labels=[str(o) for o in q.options], series=[("", values)], width=520)
        if q.kind == QuestionKind.RATING:
            return bar_chart(title=q.text, labels=["★1", "★2", "★3", "★4", "★5"], series=[("", self.counts)])
        if q.kind in TEXT_KINDS and self.words:
            return bar_chart(title=q.text, labels=[w for w, _n in self.words[:12]],
                             series=[("", [n for _w, n in self.words[:12]])], width=560)  # fmt: skip
        return ""


@dataclass
class Results:
    survey: Survey
    total: int
    by_channel: dict[str, int]
    questions: list[QuestionResult]
    coverage: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "survey_id": self.survey.pk,
            "title": self.survey.title,
            "status": self.survey.status,
            "total": self.total,
            "by_channel": self.by_channel,
            "coverage": self.coverage,
            "questions": [r.as_dict() for r in self.questions],
        }


def words_of(texts: list[str]) -> list[tuple[str, int]]:
    counter: Counter[str] = Counter()
    for text in texts:
        counter.update(
            w
            for w in jieba.lcut(text)
            if len(w) > 1 and w not in STOP and not w.isspace() and not any(c.isdigit() for c in w)
        )
    return counter.most_common(WORDS_SHOWN)


def coverage(survey: Survey, tallies: QuerySet[Tally]) -> list[dict[str, Any]]:
    """Responses and the response rate per committee, against the households it serves."""
    committees = Committee.objects.filter(street_id=survey.street_id)
    if survey.audience == Audience.COMMITTEES and survey.committee_ids:
        committees = committees.filter(pk__in=survey.committee_ids)
    households = dict(CommitteeHouseholds.objects.filter(committee__in=committees)
                      .values_list("committee_id", "households"))  # fmt: skip
    counts = dict(tallies.filter(question_id=0).order_by().values_list("committee_id").annotate(n=Sum("n")))
    out = []
    for c in committees.order_by("external_id"):
        n = counts.get(c.pk, 0)
        total = households.get(c.pk, 0)
        out.append({"committee_id": c.pk, "committee": c.name, "responses": n, "households": total,
                    "rate": round(n / total, 4) if total else None,
                    "percent": f"{100 * n / total:.1f}%" if total else "—"})  # fmt: skip
    return out


def results(survey: Survey, *, filters: Filters | None = None, public: bool = False) -> Results:
    """Everything staff see (`public=False`), or the published page's choices and ratings only."""
    f = filters or Filters()
    questions = [q for q in survey.questions.all() if not public or q.kind in CHOICE_KINDS | {QuestionKind.RATING}]
    by_q = {q.pk: QuestionResult(q) for q in questions}
    for q in questions:
        by_q[q.pk].counts = [0] * (5 if q.kind == QuestionKind.RATING else len(q.options))
        by_q[q.pk].rank_average = [None] * len(q.options)
    answers = f.answers(survey, [q.pk for q in questions])
    # The counters kept with each response (services.tallies): a few rows per option, committee and channel.
    tallies = Tally.objects.filter(survey=survey)
    if f.committee_id:
        tallies = tallies.filter(committee_id=f.committee_id)
    if f.channel in Channel.values:
        tallies = tallies.filter(channel=f.channel)
    sums = tallies.order_by().values_list("question_id", "bucket").annotate(
        n=Sum("n"), t=Sum("total"), lo=Min("lo"), hi=Max("hi"))  # fmt: skip
    by_channel: dict[str, int] = {}
    for channel, n in tallies.filter(question_id=0).order_by().values_list("channel").annotate(s=Sum("n")):
        by_channel[channel] = n
    for qid, bucket, n, total, lo, hi in sums:
        r = by_q.get(qid)
        if r is None:
            continue
        kind = r.question.kind
        if bucket == ANSWERED:
            r.answered = n
        elif kind in CHOICE_KINDS and 0 <= bucket < len(r.counts):
            r.counts[bucket] = n
            if kind == QuestionKind.RANKING and n:
                r.rank_average[bucket] = round(total / n, 2)
        elif kind == QuestionKind.RATING and 1 <= bucket <= 5:
            r.counts[bucket - 1] = n
        elif kind == QuestionKind.NUMBER and n:
            r.average, r.minimum, r.maximum = round(total / n, 2), lo, hi
    for r in by_q.values():
        if r.question.kind == QuestionKind.RATING:
            counted = sum(r.counts)
            r.average = round(sum((i + 1) * n for i, n in enumerate(r.counts)) / counted, 2) if counted else None
    if not public:
        for q in questions:
            if q.kind in TEXT_KINDS:
                texts = list(answers.filter(question=q).order_by("-id").values_list("text", flat=True)[:WORDS_FROM])
                # A stable digest (Python's hash() of str is salted per process: each worker would miss).
                digest = hashlib.sha256("\x1f".join(texts[:5]).encode()).hexdigest()[:16]
                key = f"voice:words:{q.pk}:{f.committee_id}:{f.channel}:{by_q[q.pk].answered}:{digest}"
                words = cache.get(key)
                if words is None:
                    words = words_of(texts)
                    cache.set(key, words, 600)
                by_q[q.pk].words = [tuple(w) for w in words]
                by_q[q.pk].texts = [mask_personal_text(t) for t in texts[:TEXTS_SHOWN]]
    total = sum(by_channel.values())
    return Results(survey, total, {c: by_channel.get(c, 0) for c in Channel.values},
                   [by_q[q.pk] for q in questions], coverage(survey, tallies))  # fmt: skip


def public_results_allowed(survey: Survey) -> bool:
    return survey.results_public and survey.closes_at <= timezone.now()
