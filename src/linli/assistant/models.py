"""The assistant's tables: every question asked and its answer (the log staff review), residents' feedback on it,
staff-curated answers and staff synonyms, each per street.

Personal data is kept to the minimum: no user, no IP and no coordinates are stored with a question (only whether a
location was given), and phone and ID numbers typed into a question are masked before it is written.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.models import Street

MAX_QUESTION = 200
MAX_COMMENT = 500
MAX_ANSWER = 2000


class Backend(models.TextChoices):
    OFFLINE = "offline", _("离线引擎 offline engine")
    LLM = "llm", _("大模型 language model")
    CURATED = "curated", _("人工答案 curated answer")


class AskLog(models.Model):
    """One question and the answer given, with how it was answered. `public_id` is the answer id residents see;
    the answer and its feedback belong to the asker (`asker` or `asker_session`): anyone else holding the id
    gets 404."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    street = models.ForeignKey(Street, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    question = models.CharField(_("问题 question"), max_length=MAX_QUESTION)
    normalized = models.CharField(max_length=MAX_QUESTION * 2, db_index=True)
    lang = models.CharField(max_length=10, default="zh-hans")
    had_location = models.BooleanField(default=False)
    intent = models.CharField(_("意图 intent"), max_length=32, db_index=True)
    answer = models.TextField(_("回答 answer"))
    cards = models.JSONField(default=list, blank=True)
    confidence = models.FloatField(default=0.0)
    backend = models.CharField(_("回答方式 backend"), max_length=16, choices=Backend.choices)
    latency_ms = models.PositiveIntegerField(default=0)
    curated = models.ForeignKey(
        "CuratedAnswer", null=True, blank=True, on_delete=models.SET_NULL, related_name="served"
    )
    # Who asked: the signed-in person, or the anonymous browser session (a hash of its key, never the key). Only
    # the asker reads the answer again and rates it.
    asker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    asker_session = models.CharField(max_length=64, blank=True, editable=False)
    helpful = models.BooleanField(_("有帮助 helpful"), null=True, blank=True)
    feedback_comment = models.CharField(_("意见 comment"), max_length=MAX_COMMENT, blank=True)
    feedback_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    review_note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["street", "created_at"],
                name="assistant_review_queue",
                condition=Q(reviewed_at__isnull=True) & (Q(helpful=False) | Q(intent="unknown")),
            )
        ]
        verbose_name = _("问答记录 question log")
        verbose_name_plural = _("问答记录 question log")

    def __str__(self) -> str:
        return f"{self.question} → {self.intent}"


class CuratedAnswer(models.Model):
    """A staff-written answer served to anyone in the street asking the same question (after normalization).
    Cards are references (`[{"type": "place", "id": 12}]`) rendered from the live data when served, so an answer
    never shows a place or activity that no longer exists."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="+")
    normalized = models.CharField(max_length=MAX_QUESTION * 2)
    question = models.CharField(_("问题 question"), max_length=MAX_QUESTION)
    answer = models.TextField(_("回答 answer"), max_length=MAX_ANSWER)
    intent = models.CharField(_("意图 intent"), max_length=32, default="curated")
    cards = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["street", "-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["street", "normalized"], condition=Q(is_active=True), name="curated_answer_unique"
            )
        ]
        verbose_name = _("人工答案 curated answer")
        verbose_name_plural = _("人工答案 curated answers")

    def __str__(self) -> str:
        return self.question


class Synonym(models.Model):
    """A street's word → the word the engine knows (`电瓶车` → `电动车`), applied before segmentation."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="+")
    term = models.CharField(_("说法 term"), max_length=40)
    replacement = models.CharField(_("替换为 replacement"), max_length=40)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["street", "term"]
        constraints = [models.UniqueConstraint(fields=["street", "term"], name="synonym_unique")]
        verbose_name = _("同义词 synonym")
        verbose_name_plural = _("同义词 synonyms")

    def __str__(self) -> str:
        return f"{self.term} → {self.replacement}"
