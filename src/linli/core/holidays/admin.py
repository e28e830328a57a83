"""Back office for the holiday table. Superusers edit the national arrangement; a street's admins see it and
edit their street's extra closures. Every save or delete refreshes the calendar of every process."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from linli.core.admin import admin_street_ids as _admin_streets
from linli.core.holidays.calendar import holidays_changed
from linli.core.holidays.models import Holiday, HolidayKind, HolidayYear
from linli.core.models import Street


class _ScopeFilter(admin.SimpleListFilter):
    title = _("范围 scope")
    parameter_name = "scope"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("national", _("全国法定 national")), ("street", _("街道闭馆 street closures"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "national":
            return queryset.filter(street__isnull=True)
        if self.value() == "street":
            return queryset.filter(street__isnull=False)
        return queryset


class _RefreshesCalendar(admin.ModelAdmin):
    """Every save and delete refreshes the calendar of every process."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        holidays_changed()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        holidays_changed()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        super().delete_queryset(request, queryset)
        holidays_changed()


@admin.register(Holiday)
class HolidayAdmin(_RefreshesCalendar):
    list_display = ["date", "kind", "name", "street", "year", "source"]
    list_filter = [_ScopeFilter, "kind", "year"]
    search_fields = ["name", "name_en"]
    date_hierarchy = "date"
    fields = ["date", "kind", "name", "name_en", "street", "year", "source"]
    readonly_fields = ["source"]

    def _allowed(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and (user.is_superuser or _admin_streets(request)))

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request).select_related("street")
        if request.user.is_superuser:
            return qs
        return qs.filter(Q(street__isnull=True) | Q(street__in=_admin_streets(request)))

    def _may_edit(self, request: HttpRequest, obj: Any) -> bool:
        if request.user.is_superuser:
            return True
        if obj is None:
            return bool(_admin_streets(request))
        return obj.street_id is not None and obj.street_id in _admin_streets(request)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request) and self._may_edit(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request) and self._may_edit(request, obj)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("kind", HolidayKind.HOLIDAY)
        return initial

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "street" and not request.user.is_superuser:
            kwargs["queryset"] = Street.objects.filter(id__in=_admin_streets(request))
            kwargs["required"] = True  # a street admin adds closures of their street, not national days
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not obj.year:
            obj.year = obj.date.year
        obj.source = "admin"
        super().save_model(request, obj, form, change)


@admin.register(HolidayYear)
class HolidayYearAdmin(_RefreshesCalendar):
    """The years whose official arrangement is in the table (superusers only)."""

    list_display = ["year", "source", "loaded_at"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)
