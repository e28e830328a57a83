"""Back office. Superusers see everything; other staff see only the streets where they hold the admin role."""

from __future__ import annotations

import contextlib
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core import ratelimit
from linli.core.auth import request_user
from linli.core.models import ApiToken, AuditLog, Committee, Compound, Grid, RoleAssignment, Street, User
from linli.core.phones import InvalidPhone, mask_phone, normalize_phone
from linli.core.ratelimit import client_ip
from linli.core.selectors import user_street_ids


def admin_street_ids(request: HttpRequest) -> set[int]:
    return user_street_ids(request_user(request), roles=["admin"])


class StreetScopedAdmin(admin.ModelAdmin):
    """Rows belong to a street (`street_path`); street admins see and edit only their streets' rows."""

    street_path = "street"

    def _is_street_admin(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and (user.is_superuser or admin_street_ids(request)))

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(**{f"{self.street_path}__in": admin_street_ids(request)})

    def _obj_ok(self, request: HttpRequest, obj: Any) -> bool:
        if obj is None or request.user.is_superuser:
            return True
        street_id = obj.pk if self.street_path == "id" else getattr(obj, f"{self.street_path}_id", None)
        return street_id in admin_street_ids(request)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._is_street_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_street_admin(request) and self._obj_ok(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_street_admin(request) and self._obj_ok(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._is_street_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_street_admin(request) and self._obj_ok(request, obj)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if not request.user.is_superuser:
            ids = admin_street_ids(request)
            model = db_field.remote_field.model
            if model is Street:
                kwargs["queryset"] = Street.objects.filter(id__in=ids)
            elif hasattr(model, "street"):
                kwargs["queryset"] = model.objects.filter(street_id__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Street)
class StreetAdmin(StreetScopedAdmin):
    street_path = "id"
    list_display = ["code", "name", "district", "hotline", "is_sample"]
    search_fields = ["code", "name", "name_en", "district"]
    list_filter = ["is_sample", "district"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser  # new streets: `linli street add` or a superuser

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:  # a new street gets every capability's defaults, as with `linli street add`
            from linli.core.street_defaults import street_defaults_apply

            street_defaults_apply(street=obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser


@admin.register(Committee)
class CommitteeAdmin(StreetScopedAdmin):
    list_display = ["name", "street", "external_id", "phone"]
    list_filter = ["street"]
    search_fields = ["name", "external_id", "address"]


@admin.register(Grid)
class GridAdmin(StreetScopedAdmin):
    list_display = ["name", "street", "level", "external_id", "parent"]
    list_filter = ["street", "level"]
    search_fields = ["name", "external_id"]


@admin.register(Compound)
class CompoundAdmin(StreetScopedAdmin):
    list_display = ["name", "street", "external_id", "address", "grid", "committee"]
    list_filter = ["street"]
    search_fields = ["name", "external_id", "address"]


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    fields = ["street", "role", "grid"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(street_id__in=admin_street_ids(request))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if not request.user.is_superuser:
            ids = admin_street_ids(request)
            if db_field.name == "street":
                kwargs["queryset"] = Street.objects.filter(id__in=ids)
            elif db_field.name == "grid":
                kwargs["queryset"] = Grid.objects.filter(street_id__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class UserAddForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["phone", "display_name"]

    def clean_phone(self) -> str:
        try:
            phone = normalize_phone(self.cleaned_data["phone"])
        except InvalidPhone:
            raise forms.ValidationError("手机号格式不正确 Not a valid mainland mobile number") from None
        if User.objects.filter(phone=phone).exists():
            raise forms.ValidationError("该手机号已注册 This number is already registered")
        return phone

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        user.set_unusable_password()  # people sign in with SMS codes
        if commit:
            user.save()
        return user


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Phone-based people. Street admins see people who hold a role or live in their streets."""

    add_form = UserAddForm
    ordering = ["-date_joined"]
    list_display = ["masked_phone", "display_name", "is_staff", "elder_mode", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "elder_mode"]
    search_fields = ["phone", "display_name"]
    readonly_fields = ["date_joined", "last_login"]
    inlines = [RoleAssignmentInline]
    fieldsets = (
        (None, {"fields": ("phone", "display_name", "home_street", "elder_mode", "language")}),
        ("权限 Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("时间 Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("phone", "display_name")}),)

    @admin.display(description="手机号 phone", ordering="phone")
    def masked_phone(self, obj: User) -> str:
        return mask_phone(obj.phone)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        with contextlib.suppress(InvalidPhone):  # "138 1234 5678" or "+86..." finds the stored E.164 number
            search_term = normalize_phone(search_term)
        return super().get_search_results(request, queryset, search_term)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        ids = admin_street_ids(request)
        return qs.filter(Q(roles__street_id__in=ids) | Q(home_street_id__in=ids)).distinct()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ["is_superuser", "is_staff", "groups", "user_permissions"]
        return fields

    def _street_admin(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or bool(request.user.is_staff and admin_street_ids(request))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._street_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._street_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._street_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._street_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(StreetScopedAdmin):
    list_display = ["user_phone", "street", "role", "grid", "created_at"]
    list_filter = ["street", "role"]
    search_fields = ["user__phone", "user__display_name"]
    autocomplete_fields = ["user"]

    @admin.display(description="手机号 phone")
    def user_phone(self, obj: RoleAssignment) -> str:
        return mask_phone(obj.user.phone)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created with `linli token create`; here they can be seen and revoked (superusers)."""

    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "name", "prefix", "digest", "created_at", "last_used_at"]
    fields = ["user", "name", "prefix", "digest", "created_at", "last_used_at", "revoked_at"]
    search_fields = ["prefix", "name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(AuditLog)
class AuditLogAdmin(StreetScopedAdmin):
    list_display = ["at", "action", "actor", "street", "object_type", "object_id"]
    list_filter = ["action", "street"]
    readonly_fields = ["at", "actor", "street", "action", "object_type", "object_id", "data"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# The holiday table (national arrangement, street closures) registers its own admin pages.
import linli.core.holidays.admin  # noqa: E402, F401


class ThrottledAdminLoginForm(AdminAuthenticationForm):
    """The back office's password sign-in, limited like the SMS sign-in (settings.LINLI_ADMIN_LOGIN_*): at most
    so many attempts per account and per address in a window; the count is taken before the password is checked,
    so guessing gains nothing once the limit is reached, and a success clears the account's count."""

    def clean(self) -> dict[str, Any]:
        username = str(self.data.get("username") or "").strip().lower()[:150]
        window = settings.LINLI_ADMIN_LOGIN_WINDOW_SECONDS
        account_key = f"admin-login:user:{username}"
        checks = [(account_key, settings.LINLI_ADMIN_LOGIN_ATTEMPTS)]
        ip = client_ip(self.request) if self.request is not None else None
        if ip:
            checks.append((f"admin-login:ip:{ip}", settings.LINLI_ADMIN_LOGIN_ATTEMPTS_PER_IP))
        for key, limit in checks:
            allowed, retry_after = ratelimit.hit(key, limit, window)
            if not allowed:
                raise forms.ValidationError(
                    format_lazy(_("登录尝试次数过多，请 {minutes} 分钟后再试"), minutes=max(1, -(-retry_after // 60))),
                    code="rate_limited",
                )
        cleaned = super().clean()
        ratelimit.reset(account_key)
        return cleaned


admin.site.login_form = ThrottledAdminLoginForm
