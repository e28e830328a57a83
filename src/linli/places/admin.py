"""Back office for service points and the service catalogue, scoped to the streets where the user holds a role.

Writes go through `linli.places.services` (validation, h3 cell, audit log, live update, index refresh), and the
GeoJSON upload page runs the same `places_import` as `linli import places`.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.auth import request_user
from linli.core.errors import Problem, field_error
from linli.core.i18n import Text, both_languages, in_language
from linli.core.models import Role, Street
from linli.core.selectors import user_street_ids
from linli.places import services
from linli.places.models import Amenity, Place, Service

EDITOR_ROLES = (Role.ADMIN, Role.STATION_STAFF)
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def _editor_street_ids(request: HttpRequest, roles: tuple[str, ...] = EDITOR_ROLES) -> set[int]:
    cache_attr = f"_linli_street_ids_{'_'.join(roles)}"
    if not hasattr(request, cache_attr):
        setattr(request, cache_attr, user_street_ids(request_user(request), roles))
    return getattr(request, cache_attr)


class PlaceAdminForm(forms.ModelForm):
    amenities = forms.MultipleChoiceField(
        label="设施 amenities", choices=Amenity.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Place
        fields = [
            "street", "external_id", "name", "kind", "address", "lat", "lng", "phone", "opening_hours",
            "services", "amenities", "capacity", "description", "is_active",
        ]  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        street = data.get("street") or (self.instance.street if self.instance.pk else None)
        if street is None:
            return data
        values = {
            k: data[k]
            for k in ("kind", "opening_hours", "lat", "lng", "amenities", "capacity")
            if data.get(k) is not None
        }
        values["services"] = [s.code for s in data.get("services") or []]
        catalogue = services.service_catalogue_for_street(street)
        for field, message in services.validate_place_values(values, catalogue=catalogue):
            target = {"location": "lat"}.get(field, field)
            self.add_error(target if target in self.fields else None, both_languages(message))
        for s in data.get("services") or []:
            if s.street_id is not None and s.street_id != street.pk:
                self.add_error("services", f"服务 {s.code} 属于其他街道 / belongs to another street")
        return data


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    form = PlaceAdminForm
    list_display = ("name", "kind", "street", "external_id", "address", "opening_hours", "is_active")
    list_filter = ("street", "kind", "is_active", "services")
    search_fields = ("name", "address", "external_id", "description")
    filter_horizontal = ("services",)
    readonly_fields = ("h3_cell", "created_at", "updated_at")
    actions = ["deactivate"]
    change_list_template = "admin/places/place/change_list.html"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # A point keeps its street and external id (the import matches on them); move = deactivate + create.
        base = tuple(super().get_readonly_fields(request, obj))
        return (*base, "street", "external_id") if obj is not None else base

    # tenancy --------------------------------------------------------------------------------------------
    def get_queryset(self, request: HttpRequest) -> QuerySet[Place]:
        qs = super().get_queryset(request).select_related("street")
        if request.user.is_superuser:
            return qs
        return qs.filter(street_id__in=_editor_street_ids(request))

    def _may(self, request: HttpRequest, obj: Place | None = None) -> bool:
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        if user.is_superuser:
            return True
        ids = _editor_street_ids(request)
        return bool(ids) and (obj is None or obj.street_id in ids)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._may(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)  # staff deactivate instead

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "street" and not request.user.is_superuser:
            kwargs["queryset"] = Street.objects.filter(id__in=_editor_street_ids(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "services" and not request.user.is_superuser:
            kwargs["queryset"] = Service.objects.filter(
                Q(street__isnull=True) | Q(street_id__in=_editor_street_ids(request))
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    # writes through the services ------------------------------------------------------------------------
    def save_model(self, request: HttpRequest, obj: Place, form: forms.ModelForm, change: bool) -> None:
        cd = form.cleaned_data
        fields = {
            "name": cd["name"],
            "kind": cd["kind"],
            "address": cd["address"],
            "lat": cd["lat"],
            "lng": cd["lng"],
            "phone": cd.get("phone") or "",
            "opening_hours": cd.get("opening_hours") or "",
            "services": [s.code for s in cd.get("services") or []],
            "amenities": list(cd.get("amenities") or []),
            "capacity": cd.get("capacity"),
            "description": cd.get("description") or "",
        }
        if change:
            services.place_update(place=obj, actor=request_user(request), is_active=cd.get("is_active", True), **fields)
            return
        place = services.place_create(
            street=cd["street"], external_id=cd["external_id"], actor=request_user(request), **fields
        )
        if not cd.get("is_active", True):
            services.place_deactivate(place=place, actor=request_user(request))
        obj.pk = place.pk
        obj.h3_cell = place.h3_cell
        obj.is_active = place.is_active
        obj._state.adding = False
        obj._state.db = place._state.db

    @admin.action(description="停用所选点位 Deactivate selected service points")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Place]) -> None:
        count = 0
        for place in queryset.select_related("street"):
            services.place_deactivate(place=place, actor=request_user(request))
            count += 1
        self.message_user(request, f"已停用 {count} 个点位 / {count} deactivated", messages.SUCCESS)

    # GeoJSON upload -------------------------------------------------------------------------------------
    def get_urls(self) -> list[Any]:
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="places_place_import"),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self._may(request):
            raise PermissionDenied
        ids = (
            _editor_street_ids(request)
            if not request.user.is_superuser
            else set(Street.objects.values_list("id", flat=True))
        )
        streets = Street.objects.filter(id__in=ids).order_by("code")
        form = PlaceImportForm(request.POST or None, request.FILES or None, streets=streets)
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "导入服务点位 Import service points",
            "form": form,
            "errors": None,
            "result": None,
            "changelist_url": reverse("admin:places_place_changelist"),
        }
        if request.method == "POST" and form.is_valid():
            street = form.cleaned_data["street"]
            collection, file_error = form.collection()
            if file_error:
                context["errors"] = _bilingual([field_error("file", file_error)])
            else:
                try:
                    result = services.places_import(street=street, collection=collection, actor=request_user(request))
                except Problem as p:
                    context["errors"] = _bilingual(p.errors or [field_error("", p.detail)])
                else:
                    context["result"] = result
                    context["street"] = street
        return TemplateResponse(request, "admin/places/place/import.html", context)


def _bilingual(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The import's errors for the back office, which shows each message in Chinese with the English under it."""
    return [
        {**e, "message": in_language(e["message"], "zh-hans"), "english": in_language(e["message"], "en")}
        for e in errors
    ]


class PlaceImportForm(forms.Form):
    street = forms.ModelChoiceField(label="街道 street", queryset=Street.objects.none())
    file = forms.FileField(label="GeoJSON 文件 file (.geojson / .json)")

    def __init__(self, *args: Any, streets: QuerySet[Street], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["street"].queryset = streets  # type: ignore[attr-defined]

    def collection(self) -> tuple[Any, Text | None]:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            return None, _("文件超过 10 MB")
        try:
            return json.loads(upload.read().decode("utf-8-sig")), None
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            return None, format_lazy(_("不是有效的 JSON：{error}"), error=e)


class ServiceAdminForm(forms.ModelForm):
    class Meta:
        model = Service
        fields = ["street", "code", "name_zh", "name_en", "category", "sort_order"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        code, street = data.get("code"), data.get("street")
        if (
            code
            and street is not None
            and self.instance.pk is None
            and code in services.service_catalogue_for_street(street)
        ):
            self.add_error("code", f"服务代码 {code} 已存在 / The service code {code} already exists")
        return data


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    form = ServiceAdminForm
    list_display = ("code", "name_zh", "name_en", "category", "street", "sort_order")
    list_filter = ("category", "street")
    search_fields = ("code", "name_zh", "name_en")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Service]:
        qs = super().get_queryset(request).select_related("street")
        if request.user.is_superuser:
            return qs
        return qs.filter(Q(street__isnull=True) | Q(street_id__in=_editor_street_ids(request)))

    def _admin_ids(self, request: HttpRequest) -> set[int]:
        return _editor_street_ids(request, (Role.ADMIN,))

    def has_module_permission(self, request: HttpRequest) -> bool:
        u = request.user
        return u.is_active and u.is_staff and (u.is_superuser or bool(_editor_street_ids(request)))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or bool(request.user.is_staff and self._admin_ids(request))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if request.user.is_superuser:
            return True
        if obj is None:
            return bool(request.user.is_staff and self._admin_ids(request))
        return obj.street_id is not None and obj.street_id in self._admin_ids(request)  # defaults: superuser only

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def save_model(self, request: HttpRequest, obj: Service, form: forms.ModelForm, change: bool) -> None:
        if change or obj.street is None:
            super().save_model(request, obj, form, change)  # edits, and the default catalogue (superusers only)
            return
        created = services.service_create(
            street=obj.street,
            code=obj.code,
            name_zh=obj.name_zh,
            name_en=obj.name_en,
            category=obj.category,
            actor=request_user(request),
        )
        obj.pk = created.pk
        obj._state.adding = False

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "street" and not request.user.is_superuser:
            kwargs["queryset"] = Street.objects.filter(id__in=self._admin_ids(request))
            kwargs["required"] = True
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
