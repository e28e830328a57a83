"""Back office for cases. Street admins see their streets' rows only. Categories (SLAs, merge rules, receiving
roles, points) are edited here; cases, reports, photos, the timeline and points are read-only: every change of
a case goes through the services (transition table, timeline, pushes), from the console or the API."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from linli.cases.models import Case, CaseCategory, CaseEvent, CasePhoto, Open311Client, Report, SentinelPoints
from linli.cases.services.clients import client_create, client_revoke
from linli.core.admin import StreetScopedAdmin, admin_street_ids
from linli.core.phones import mask_phone


class ReadOnlyMixin:
    """View only: no add, change or delete (append-only or service-managed rows)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False


class CaseEventInline(ReadOnlyInline):
    model = CaseEvent
    fields = ("at", "action", "from_status", "to_status", "actor", "note")
    readonly_fields = fields


class ReportInline(ReadOnlyInline):
    model = Report
    fk_name = "case"
    fields = ("created_at", "source", "category", "description", "masked_contact")
    readonly_fields = fields

    @admin.display(description="联系电话 contact")
    def masked_contact(self, obj: Report) -> str:
        return mask_phone(obj.contact_phone) if obj.contact_phone else ""


class CasePhotoInline(ReadOnlyInline):
    model = CasePhoto
    fields = ("kind", "image", "width", "height", "created_at")
    readonly_fields = fields


@admin.register(CaseCategory)
class CaseCategoryAdmin(StreetScopedAdmin):
    list_display = (
        "name_zh",
        "code",
        "street",
        "response_minutes",
        "resolution_minutes",
        "merge_radius_m",
        "merge_window_hours",
        "urgent",
        "points",
        "is_active",
    )
    list_filter = ("street", "urgent", "is_active")
    search_fields = ("code", "name_zh", "name_en")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # cases keep their category; deactivate instead (is_active)


@admin.register(Case)
class CaseAdmin(ReadOnlyMixin, StreetScopedAdmin):
    list_display = ("id", "category", "street", "status", "grid", "queue", "reports_count", "created_at")
    list_filter = ("street", "status", "queue", "category")
    search_fields = ("=id", "address", "description")
    date_hierarchy = "created_at"
    list_select_related = ("street", "category", "grid")
    inlines = (ReportInline, CasePhotoInline, CaseEventInline)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return StreetScopedAdmin.has_view_permission(self, request, obj)


class _ViaCaseAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Rows reached through their case's street."""

    street_path = "case__street"

    def get_queryset(self, request: HttpRequest) -> Any:
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(**{f"{self.street_path}__in": admin_street_ids(request)})

    def has_module_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and (user.is_superuser or admin_street_ids(request)))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not self.has_module_permission(request):
            return False
        if obj is None or request.user.is_superuser:
            return True
        return self.get_queryset(request).filter(pk=obj.pk).exists()


@admin.register(CaseEvent)
class CaseEventAdmin(_ViaCaseAdmin):
    list_display = ("case", "at", "action", "from_status", "to_status", "actor", "note")
    list_filter = ("action",)
    list_select_related = ("case", "actor")


@admin.register(CasePhoto)
class CasePhotoAdmin(_ViaCaseAdmin):
    list_display = ("case", "kind", "width", "height", "created_at")
    list_filter = ("kind",)


@admin.register(Report)
class ReportAdmin(_ViaCaseAdmin):
    street_path = "street"
    list_display = ("id", "case", "category", "source", "created_at")
    list_filter = ("source", "category")
    exclude = ("contact_phone", "contact_email", "device_id")
    readonly_fields = ("masked_contact",)

    @admin.display(description="联系电话 contact")
    def masked_contact(self, obj: Report) -> str:
        return mask_phone(obj.contact_phone) if obj.contact_phone else ""


@admin.register(SentinelPoints)
class SentinelPointsAdmin(_ViaCaseAdmin):
    street_path = "street"
    list_display = ("user", "street", "points", "report", "at")
    list_filter = ("street",)


@admin.register(Open311Client)
class Open311ClientAdmin(StreetScopedAdmin):
    """Staff issue a partner's Open311 key here (or with `linli open311 key create`): on "add" the key is made by
    `client_create` and shown ONCE in the confirmation message; only its digest is stored. Keys are revoked with
    the list action, never edited or deleted (the reports keep their client)."""

    list_display = ("name", "street", "prefix", "created_at", "revoked_at")
    list_filter = ("street",)
    actions = ["revoke_keys"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return (
            ("street", "name")
            if obj is None
            else ("street", "name", "prefix", "created_by", "created_at", "revoked_at")
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return () if obj is None else self.get_fields(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Open311Client, form: Any, change: bool) -> None:
        if change:
            return  # nothing is editable

        client, raw_key = client_create(street=obj.street, name=obj.name, actor=request.user)  # type: ignore[arg-type]
        obj.pk, obj.prefix, obj.digest, obj.created_at = client.pk, client.prefix, client.digest, client.created_at
        obj._state.adding = False
        messages.success(
            request,
            f"已为「{client.name}」签发 Open311 密钥（只显示这一次，请立即复制）/ the key, shown once: {raw_key}",
        )

    @admin.action(description="撤销所选密钥 Revoke the selected keys")
    def revoke_keys(self, request: HttpRequest, queryset: Any) -> None:
        revoked = 0
        for client in queryset.filter(revoked_at__isnull=True).select_related("street"):
            revoked += client_revoke(street=client.street, prefix=client.prefix, actor=request.user)  # type: ignore[arg-type]
        messages.success(request, f"已撤销 {revoked} 个密钥 / {revoked} key(s) revoked")
