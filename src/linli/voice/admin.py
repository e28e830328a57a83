"""Back office for voice: surveys are written here (questions inline, conditions as JSON naming an earlier
question's id), committees' household counts (the response rate's denominator), needs and consultations."""

from __future__ import annotations

from django.contrib import admin

from linli.voice.models import (
    ActionItem,
    CommitteeHouseholds,
    Consultation,
    Invitation,
    Need,
    Question,
    Section,
    Survey,
)


class SectionInline(admin.TabularInline):
    model = Section
    extra = 0


class QuestionInline(admin.StackedInline):
    model = Question
    extra = 1
    fields = ("position", "section", "kind", "text", "help_text", "options", "required", "condition", "min_value",
              "max_value", "max_choices")  # fmt: skip


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ("title", "street", "audience", "one_answer", "opens_at", "closes_at")
    list_filter = ("street", "audience")
    inlines = (SectionInline, QuestionInline)
    exclude = ("created_by",)


@admin.register(CommitteeHouseholds)
class CommitteeHouseholdsAdmin(admin.ModelAdmin):
    list_display = ("committee", "households")


@admin.register(Need)
class NeedAdmin(admin.ModelAdmin):
    list_display = ("text", "street", "committee", "source", "status", "created_at")
    list_filter = ("street", "status", "source")
    raw_id_fields = ("raised_by", "merged_into")


class InvitationInline(admin.TabularInline):
    model = Invitation
    extra = 0
    exclude = ("nonce",)


class ActionInline(admin.TabularInline):
    model = ActionItem
    extra = 0


@admin.register(Consultation)
class ConsultationAdmin(admin.ModelAdmin):
    list_display = ("title", "street", "committee", "status", "created_at")
    list_filter = ("street", "status")
    inlines = (InvitationInline, ActionInline)
    raw_id_fields = ("created_by",)
