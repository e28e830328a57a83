"""Residents' voice (issue 19): surveys and needs collection (问需), 日日清约请 consultations and the results
published back. Surveys hold typed questions with conditions; each response keeps one `Answer` row per chosen
option (or value), so the results are counted by the database (`selectors_results`), never in Python.
Consultations and their action items live in `models_consult` (re-exported here)."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.models import Committee, Compound, Role, Street, User


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("单选")
    MULTIPLE = "multiple", _("多选")
    RATING = "rating", _("评分")
    RANKING = "ranking", _("排序")
    SHORT_TEXT = "short_text", _("简答")
    LONG_TEXT = "long_text", _("详细回答")
    NUMBER = "number", _("数字")
    DATE = "date", _("日期")
    PHOTO = "photo", _("照片")
    PLACE = "place", _("地图位置")


CHOICE_KINDS = frozenset({QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.RANKING})
TEXT_KINDS = frozenset({QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT})


class ConditionOp(models.TextChoices):
    EQUALS = "equals", _("等于")
    NOT_EQUALS = "not_equals", _("不等于")
    INCLUDES = "includes", _("包含")


class Audience(models.TextChoices):
    STREET = "street", _("全街道居民")
    COMMITTEES = "committees", _("指定居委")
    COMPOUNDS = "compounds", _("指定小区")
    ROLE = "role", _("指定人群")
    LINK = "link", _("凭链接的任何人")


class OneAnswer(models.TextChoices):
    PERSON = "person", _("每人一份")
    HOUSEHOLD = "household", _("每户一份")


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    OPEN = "open", _("进行中")
    CLOSED = "closed", _("已结束")


class Channel(models.TextChoices):
    ONLINE = "online", _("网上填写")
    DOOR = "door", _("入户走访")


class Survey(models.Model):
    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("标题 title"), max_length=120)
    intro = models.TextField(_("说明 introduction"), blank=True, max_length=2000)
    audience = models.CharField(max_length=16, choices=Audience.choices, default=Audience.STREET)
    committee_ids = models.JSONField(default=list, blank=True)
    compound_ids = models.JSONField(default=list, blank=True)
    role = models.CharField(max_length=32, choices=Role.choices, blank=True)
    one_answer = models.CharField(max_length=16, choices=OneAnswer.choices, default=OneAnswer.PERSON)
    opens_at = models.DateTimeField(default=timezone.now)
    closes_at = models.DateTimeField()
    link_token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    results_public = models.BooleanField(_("结束后公开结果 publish results when closed"), default=True)
    result_summary = models.TextField(_("采纳情况 what we did with it"), blank=True, max_length=2000)
    is_needs_form = models.BooleanField(default=False)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-opens_at", "-id"]
        indexes = [models.Index(fields=["street", "closes_at"])]
        verbose_name = _("问卷 survey")
        verbose_name_plural = _("问卷 surveys")

    def __str__(self) -> str:
        return self.title

    def status_at(self, now: object = None) -> str:
        at = now or timezone.now()
        if at < self.opens_at:  # type: ignore[operator]
            return SurveyStatus.DRAFT
        if at >= self.closes_at:  # type: ignore[operator]
            return SurveyStatus.CLOSED
        return SurveyStatus.OPEN

    @property
    def status(self) -> str:
        return self.status_at()

    def get_status_display(self) -> str:
        return str(SurveyStatus(self.status).label)


class Section(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=120)

    class Meta:
        ordering = ["survey", "position", "id"]


class Question(models.Model):
    """`options` are the labels of a choice or ranking question (answers name them by index); `condition` shows
    the question only when an earlier question's answer `equals` / `not_equals` / `includes` a value:
    `{"question": <id>, "op": "equals", "value": <option index or value>}`."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    section = models.ForeignKey(Section, null=True, blank=True, on_delete=models.SET_NULL, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=16, choices=QuestionKind.choices)
    text = models.CharField(_("题目 question"), max_length=300)
    help_text = models.CharField(max_length=300, blank=True)
    options = models.JSONField(default=list, blank=True)
    required = models.BooleanField(default=False)
    condition = models.JSONField(null=True, blank=True)
    min_value = models.FloatField(null=True, blank=True)
    max_value = models.FloatField(null=True, blank=True)
    max_choices = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["survey", "position", "id"]

    def __str__(self) -> str:
        return self.text


class Response(models.Model):
    """One filled questionnaire. `client_id` is the id the answering device gave it (the offline page makes one
    per answer): the server accepts each id once, so a replay after a lost connection never counts twice."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    client_id = models.UUIDField(default=uuid.uuid4)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.ONLINE)
    committee = models.ForeignKey(Committee, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    compound = models.ForeignKey(Compound, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    household = models.CharField(max_length=80, blank=True)  # "<compound id>:<building-flat>", normalised
    entered_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    consent = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "client_id"], name="voice_response_client_once"),
            models.UniqueConstraint(
                fields=["survey", "user"],
                condition=Q(user__isnull=False, channel="online"),
                name="voice_response_one_per_user",
            ),  # fmt: skip
        ]
        indexes = [models.Index(fields=["survey", "committee", "channel"]),
                   models.Index(fields=["survey", "household"])]  # fmt: skip


class Answer(models.Model):
    """One value of a response: a choice question has one row per chosen option (`option`; a ranking's `number`
    is the rank), a rating or number its `number`, a text, date or place its `text`, a photo its `photo`."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    option = models.SmallIntegerField(null=True, blank=True)
    number = models.FloatField(null=True, blank=True)
    text = models.TextField(blank=True)
    photo = models.ImageField(upload_to="voice/%Y/%m/", blank=True)

    class Meta:
        indexes = [models.Index(fields=["question", "option"])]


TALLY_ANSWERED = -1  # a Tally's bucket counting the responses that answered its question


class Tally(models.Model):
    """A survey's counters, kept with each response (`services.tallies`), so the results read a few hundred rows
    instead of every answer: per question (`question_id`; 0 = the survey's responses), committee (0 = none) and
    channel, a `bucket` (an option's index, a rating's star, 0 for a number; -1 counts the responses that answered
    the question) with its count, the sum of its values (ranks, stars, numbers) and a number's smallest and
    largest."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="tallies")
    question_id = models.IntegerField()
    committee_id = models.IntegerField()
    channel = models.CharField(max_length=8)
    bucket = models.SmallIntegerField()
    n = models.IntegerField(default=0)
    total = models.FloatField(default=0)
    lo = models.FloatField(null=True)
    hi = models.FloatField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "question_id", "committee_id", "channel", "bucket"],
                                    name="voice_tally_once"),
        ]  # fmt: skip


class CommitteeHouseholds(models.Model):
    """How many households a committee serves: the denominator of a survey's response rate."""

    committee = models.OneToOneField(Committee, on_delete=models.CASCADE, related_name="voice_households")
    households = models.PositiveIntegerField(default=0)


# ------------------------------------------------------------------------------------------------ needs


class NeedSource(models.TextChoices):
    FORM = "form", _("问需表")
    ASSISTANT = "assistant", _("问一问未答问题")
    CASE = "case", _("事件")
    WALK_IN = "walk_in", _("来访")
    SURVEY = "survey", _("问卷")


class NeedStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    MERGED = "merged", _("已合并")
    ACTIONED = "actioned", _("已转办")
    ANSWERED = "answered", _("已答复")


class ActionKind(models.TextChoices):
    ACTIVITY = "activity", _("活动")
    CASE = "case", _("事件")
    CONSULTATION = "consultation", _("日日清约请")
    PROJECT = "project", _("预算项目")


class Need(models.Model):
    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="+")
    committee = models.ForeignKey(Committee, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    text = models.CharField(_("需求 need"), max_length=500)
    source = models.CharField(max_length=16, choices=NeedSource.choices, default=NeedSource.FORM)
    source_ref = models.CharField(max_length=40, blank=True)
    raised_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    tags = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=NeedStatus.choices, default=NeedStatus.OPEN)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged")
    action_kind = models.CharField(max_length=16, choices=ActionKind.choices, blank=True)
    action_ref = models.CharField(max_length=80, blank=True)
    answer = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["street", "source", "source_ref"], condition=~Q(source_ref=""), name="voice_need_source_once"
            ),  # fmt: skip
        ]
        indexes = [models.Index(fields=["street", "committee", "status"])]

    def __str__(self) -> str:
        return self.text[:40]


from linli.voice.models_consult import (  # noqa: E402  (re-exported: Django and callers see them here)
    ActionItem,
    ActionStatus,
    Consultation,
    ConsultationEvent,
    ConsultationSource,
    ConsultationStatus,
    Invitation,
    InvitationStatus,
)

__all__ = [
    "ActionItem",
    "ActionStatus",
    "Consultation",
    "ConsultationEvent",
    "ConsultationSource",
    "ConsultationStatus",
    "Invitation",
    "InvitationStatus",
]
