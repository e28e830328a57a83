"""Back office: the question log (read-only), curated answers and synonyms."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from linli.assistant.models import AskLog, CuratedAnswer, Synonym


@admin.register(AskLog)
class AskLogAdmin(admin.ModelAdmin):
    list_display = ("created_at", "street", "question", "intent", "backend", "latency_ms", "helpful", "reviewed_at")
    list_filter = ("street", "intent", "backend", "helpful")
    search_fields = ("question", "feedback_comment")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CuratedAnswer)
class CuratedAnswerAdmin(admin.ModelAdmin):
    list_display = ("question", "street", "intent", "is_active", "updated_at")
    list_filter = ("street", "is_active")
    search_fields = ("question", "answer")
    readonly_fields = ("question", "normalized", "cards", "created_by", "created_at", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # written on the review page, which normalizes the question and checks the cards


@admin.register(Synonym)
class SynonymAdmin(admin.ModelAdmin):
    list_display = ("term", "replacement", "street", "created_at")
    list_filter = ("street",)
    search_fields = ("term", "replacement")
    readonly_fields = ("created_by", "created_at")
