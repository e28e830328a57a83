"""Surveys: creating one with its sections and questions, and taking a response (online, or entered at the door
by staff and building-group heads with the household's consent). A response is checked against every question
and condition (`services.answers`), the audience and the one-answer rule, then stored with one `Answer` row per
value. Each response carries the answering device's `client_id`: the same id is accepted once (an offline replay
gets the first response back)."""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem, field_error
from linli.core.models import Committee, Compound, Role, User
from linli.core.photos import photo_process
from linli.core.selectors import user_has_role
from linli.voice.models import (
    TEXT_KINDS,
    Answer,
    Audience,
    Channel,
    ConditionOp,
    OneAnswer,
    Question,
    QuestionKind,
    Response,
    Section,
    Survey,
    SurveyStatus,
)
from linli.voice.services import fast
from linli.voice.services.answers import Value, answers_check
from linli.voice.services.tallies import tallies_add

# Who may enter answers from door visits (and see a survey's full results).
DOOR_ROLES = (Role.BUILDING_HEAD, Role.GRID_WORKER, Role.STATION_STAFF, Role.SOCIAL_WORKER, Role.ADMIN)
STAFF_ROLES = (Role.ADMIN, Role.STATION_STAFF, Role.SOCIAL_WORKER, Role.GRID_WORKER)


def household_key(compound: Compound | None, flat: str) -> str:
    """`<compound id>:<flat>` with the flat normalised: "3号楼 201室", "3-201" and "３号楼２０１" are one household."""
    text = unicodedata.normalize("NFKC", flat or "").lower()
    text = re.sub(r"[\s号楼栋幢单元室/\\._—-]+", "-", text).strip("-")
    if not text:
        return ""
    return f"{compound.pk if compound else 0}:{text}"[:80]


QUESTION_FIELDS = ("kind", "text", "help_text", "options", "required", "min_value", "max_value", "max_choices")
SURVEY_FIELDS = ("title", "intro", "audience", "committee_ids", "compound_ids", "role", "one_answer", "opens_at",
                 "closes_at", "results_public", "result_summary")  # fmt: skip


def _survey_fields_check(street: Any, fields: dict[str, Any]) -> list[dict[str, Any]]:
    """The survey's own fields: a title, dates in order, an audience that names what it needs, in this street."""
    errors = []
    if not str(fields.get("title", "")).strip():
        errors.append(field_error("title", _("必填项")))
    opens, closes = fields.get("opens_at"), fields.get("closes_at")
    if not isinstance(closes, datetime):
        errors.append(field_error("closes_at", _("请填写截止时间")))
    elif isinstance(opens, datetime) and closes <= opens:
        errors.append(field_error("closes_at", _("截止时间应晚于开始时间")))
    audience = fields.get("audience", Audience.STREET)
    if audience not in Audience.values:
        errors.append(field_error("audience", _("没有这种调查对象")))
    if fields.get("one_answer", OneAnswer.PERSON) not in OneAnswer.values:
        errors.append(field_error("one_answer", _("没有这种填写规则")))
    committee_ids = [int(i) for i in fields.get("committee_ids") or []]
    compound_ids = [int(i) for i in fields.get("compound_ids") or []]
    if audience == Audience.COMMITTEES:
        found = Committee.objects.filter(street=street, pk__in=committee_ids).count()
        if not committee_ids or found != len(set(committee_ids)):
            errors.append(field_error("committee_ids", _("请选择本街道的居委")))
    if audience == Audience.COMPOUNDS:
        found = Compound.objects.filter(street=street, pk__in=compound_ids).count()
        if not compound_ids or found != len(set(compound_ids)):
            errors.append(field_error("compound_ids", _("请选择本街道的小区")))
    if audience == Audience.ROLE and fields.get("role") not in Role.values:
        errors.append(field_error("role", _("请选择人群")))
    return errors


def _questions_check(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each question: a known type, a text, options for a choice question, a sound range; a condition names an
    earlier question (by its position in the list) with equals / not_equals / includes."""
    errors = []
    if not questions:
        errors.append(field_error("questions", _("至少需要一道题")))
    for pos, spec in enumerate(questions):
        kind = spec.get("kind")
        where = f"questions[{pos}]"
        if kind not in QuestionKind.values:
            errors.append(field_error(f"{where}.kind", _("没有这种题型")))
            continue
        if not str(spec.get("text", "")).strip():
            errors.append(field_error(f"{where}.text", _("必填项")))
        options = spec.get("options") or []
        choice = kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.RANKING)
        if choice and (len(options) < 2 or any(not str(o).strip() for o in options) or len(options) > 30):
            errors.append(field_error(f"{where}.options", _("选择题需要 2 至 30 个选项")))
        lo, hi = spec.get("min_value"), spec.get("max_value")
        if lo is not None and hi is not None and lo > hi:
            errors.append(field_error(f"{where}.max_value", _("最大值应不小于最小值")))
        cond = spec.get("condition")
        if cond is not None:
            index = cond.get("question") if isinstance(cond, dict) else None
            if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < pos:
                errors.append(field_error(f"{where}.condition", _("条件只能引用前面的题目")))
            elif cond.get("op") not in ConditionOp.values:
                errors.append(field_error(f"{where}.condition", _("条件应为等于、不等于或包含")))
    return errors


def _questions_write(survey: Survey, questions: list[dict[str, Any]]) -> None:
    sections: dict[str, Section] = {}
    made: list[Question] = []
    for pos, spec in enumerate(questions):
        section_title = str(spec.get("section", "") or "").strip()[:120]
        section = None
        if section_title:
            if section_title not in sections:
                sections[section_title] = Section.objects.create(
                    survey=survey, title=section_title, position=len(sections)
                )
            section = sections[section_title]
        cond = spec.get("condition")
        if cond is not None:
            cond = {"question": made[int(cond["question"])].pk, "op": cond["op"], "value": cond.get("value")}
        values = {k: spec[k] for k in QUESTION_FIELDS if k in spec and spec[k] is not None}
        values["text"] = str(values.get("text", "")).strip()[:300]
        values["options"] = [str(o).strip()[:100] for o in values.get("options") or []]
        made.append(Question.objects.create(survey=survey, section=section, position=pos, condition=cond, **values))


def survey_create(*, street: Any, title: str, closes_at: datetime, questions: list[dict[str, Any]],
                  actor: User | None = None, **fields: Any) -> Survey:  # fmt: skip
    """A survey and its questions: each question a dict of Question's fields, `section` (a title) optional, and a
    condition naming an earlier question by its position in the list (`{"question": 0, ...}`)."""
    fields = {**fields, "opens_at": fields.get("opens_at") or timezone.now()}
    errors = _survey_fields_check(street, {"title": title, "closes_at": closes_at, **fields})
    errors += _questions_check(questions)
    if errors:
        raise Problem("validation_error", errors=errors)
    with transaction.atomic():
        survey = Survey.objects.create(street=street, title=title.strip(), closes_at=closes_at, created_by=actor,
                                       **fields)  # fmt: skip
        _questions_write(survey, questions)
    return survey


def survey_update(*, survey: Survey, questions: list[dict[str, Any]] | None = None, **fields: Any) -> Survey:
    """Change a survey's fields (title, introduction, audience, dates…) and, while nobody has answered it yet,
    its questions (all of them, replaced in order). Once answered, the questions stay: changing them would make
    the answers mean something else."""
    fields = {k: v for k, v in fields.items() if k in SURVEY_FIELDS and not (k == "opens_at" and v is None)}
    merged = {k: getattr(survey, k) for k in SURVEY_FIELDS} | fields
    errors = _survey_fields_check(survey.street, merged)
    if questions is not None:
        errors += _questions_check(questions)
        if Response.objects.filter(survey=survey).exists():
            errors.append(field_error("questions", _("已经有人回答，题目不能再改")))
    if errors:
        raise Problem("validation_error", errors=errors)
    with transaction.atomic():
        for k, v in fields.items():
            setattr(survey, k, v.strip() if isinstance(v, str) and k == "title" else v)
        survey.save()
        if questions is not None:
            survey.questions.all().delete()
            survey.sections.all().delete()
            _questions_write(survey, questions)
    return survey


def survey_close(*, survey: Survey, summary: str = "", now: datetime | None = None) -> Survey:
    survey.closes_at = min(survey.closes_at, now or timezone.now())
    if summary:
        survey.result_summary = summary
    survey.save(update_fields=["closes_at", "result_summary"])
    return survey


@dataclass
class Submitted:
    response: Response
    duplicate: bool


def _audience_check(survey: Survey, *, user: User | None, compound: Compound | None, token: str,
                    channel: str) -> None:  # fmt: skip
    refuse = Problem("not_in_audience")
    if compound is not None and compound.street_id != survey.street_id:
        raise refuse
    aud = survey.audience
    if aud == Audience.LINK:
        if channel == Channel.ONLINE and token != str(survey.link_token):
            raise Problem("not_in_audience", detail=_("请通过问卷链接填写"))
        return
    if aud == Audience.STREET:
        if channel == Channel.ONLINE and user is None:
            raise Problem("not_authenticated")
        return
    if aud == Audience.ROLE:
        if channel == Channel.DOOR or user is None:
            raise refuse
        if not user_has_role(user, street=survey.street, roles=[survey.role]):
            raise Problem("not_in_audience", detail=format_lazy(_("这份问卷只面向{who}"), who=Role(survey.role).label))
        return
    if channel == Channel.ONLINE and user is None:
        raise Problem("not_authenticated")
    if compound is None:
        raise Problem("not_in_audience", detail=_("请选择您住的小区"))
    if aud == Audience.COMMITTEES and compound.committee_id not in set(survey.committee_ids):
        raise refuse
    if aud == Audience.COMPOUNDS and compound.pk not in set(survey.compound_ids):
        raise refuse


def response_submit(
    *,
    survey: Survey,
    answers: dict[str, Any],
    user: User | None,
    client_id: uuid.UUID | None = None,
    channel: str = Channel.ONLINE,
    compound: Compound | None = None,
    flat: str = "",
    consent: bool = False,
    token: str = "",
    now: datetime | None = None,
    drop_hidden: bool = False,
) -> Submitted:
    """Take one response. Door entries need a door role in the survey's street, the household and its consent.
    Problems: `survey_closed`, `not_in_audience`, `already_answered`, `validation_error` (with the question ids)."""
    now = now or timezone.now()
    if client_id is None:  # a fresh id: nothing can have been sent under it before
        client_id = uuid.uuid4()
    else:
        seen = Response.objects.filter(survey=survey, client_id=client_id).first()
        if seen is not None:  # an offline replay (or a retry): the first one stands
            return Submitted(seen, True)
    if survey.status_at(now) != SurveyStatus.OPEN:
        raise Problem("survey_closed")
    entered_by = None
    if channel == Channel.DOOR:
        if user is None or not user_has_role(user, street=survey.street, roles=DOOR_ROLES):
            raise Problem("permission_denied", detail=_("只有楼组长和工作人员可以录入入户走访的回答"))
        if not consent:
            raise Problem("validation_error", errors=[field_error("consent", _("入户录入需要居民同意"))])
        if compound is None or not flat.strip():
            raise Problem("validation_error", errors=[field_error("household", _("请填写小区和门牌号"))])
        entered_by, user = user, None
    _audience_check(survey, user=user, compound=compound, token=token, channel=channel)
    household = household_key(compound, flat)
    if survey.one_answer == OneAnswer.HOUSEHOLD and not household:
        raise Problem("validation_error", errors=[field_error("household", _("每户一份：请填写小区和门牌号"))])
    questions = fast.questions_read(survey)
    values = answers_check(questions, answers, drop_hidden=drop_hidden)
    photos = {}
    for v in values:
        if v.photo is not None:
            try:
                photos[id(v)] = photo_process(v.photo)
            except Problem as exc:
                raise Problem(
                    "validation_error",
                    errors=[
                        field_error(f"answers.{v.question.pk}", exc.detail or exc.title, question_id=v.question.pk)
                    ],
                ) from None
    # Photos are files to save beside the rows: the step-by-step path; everything else the plain-SQL twin.
    write = response_write if photos else fast.response_write
    try:
        response = write(survey=survey, user=user, client_id=client_id, channel=channel, compound=compound,
                         household=household, entered_by=entered_by, consent=consent or channel == Channel.ONLINE,
                         values=values, photos=photos, now=now)  # fmt: skip
    except IntegrityError:
        seen = Response.objects.filter(survey=survey, client_id=client_id).first()
        if seen is not None:
            return Submitted(seen, True)
        raise Problem("already_answered") from None
    return Submitted(response, False)


def response_write(
    *,
    survey: Survey,
    user: User | None,
    client_id: uuid.UUID,
    channel: str,
    compound: Compound | None,
    household: str,
    entered_by: User | None,
    consent: bool,
    values: list[Value],
    photos: dict[int, Any],
    now: datetime,
) -> Response:
    """The response's transaction, after every check that needs no lock: under the survey's row lock the
    one-answer rules (`already_answered`), then the response, its answers and the results' counters. Its
    plain-SQL twin is `fast.response_write` (the path without photos)."""
    with transaction.atomic():
        Survey.objects.select_for_update().filter(pk=survey.pk).first()
        if user is not None and Response.objects.filter(survey=survey, user=user, channel=channel).exists():
            raise Problem("already_answered")
        per_household = survey.one_answer == OneAnswer.HOUSEHOLD or channel == Channel.DOOR
        if per_household and household and Response.objects.filter(survey=survey, household=household).exists():
            raise Problem("already_answered", detail=_("这一户已经填写过这份问卷"))
        response = Response.objects.create(
            survey=survey, client_id=client_id, user=user, channel=channel, compound=compound,
            committee_id=compound.committee_id if compound else None, household=household,
            entered_by=entered_by, consent=consent, created_at=now,
        )  # fmt: skip
        _answers_store(response, values, photos)
        tallies_add(response, values)  # the results' counters, in the same transaction
    return response


def _answers_store(response: Response, values: list[Value], photos: dict[int, Any]) -> None:
    rows = []
    for v in values:
        row = Answer(response=response, question=v.question, option=v.option, number=v.number, text=v.text)
        if id(v) in photos:
            row.photo.save(f"{uuid.uuid4().hex}.jpg", ContentFile(photos[id(v)].content), save=False)
        rows.append(row)
    Answer.objects.bulk_create(rows)


def already_answered(*, survey: Survey, user: User | None) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return Response.objects.filter(survey=survey, user=user, channel=Channel.ONLINE).exists()


__all__ = ["TEXT_KINDS", "already_answered", "household_key", "response_submit", "survey_close", "survey_create",
           "survey_update"]  # fmt: skip
