"""Back-office registration for gate access. Keys and secrets are never shown; taps and alerts are read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from linli.access.models import AccessAlert, AccessPolicy, CompoundManager, Gate, Partner, RiderCredential, Tap


@admin.register(Gate)
class GateAdmin(admin.ModelAdmin):
    list_display = ("public_id", "name", "compound", "street", "transport", "active", "last_heartbeat_at")
    list_filter = ("street", "transport", "active")
    search_fields = ("public_id", "name", "device_id", "compound__name")
    fields = ("public_id", "street", "compound", "name", "device_id", "transport", "active", "last_heartbeat_at")
    readonly_fields = ("public_id", "street", "compound", "last_heartbeat_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # gates are registered through the page, API or CLI, which hand out the secret once


@admin.register(CompoundManager)
class CompoundManagerAdmin(admin.ModelAdmin):
    list_display = ("compound", "user", "created_at")
    raw_id_fields = ("user", "compound")


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "street", "active")
    list_filter = ("street", "active")
    exclude = ("assertion_key",)


@admin.register(RiderCredential)
class RiderCredentialAdmin(admin.ModelAdmin):
    list_display = ("real_name", "partner", "street", "status", "verified_by", "expires_at")
    list_filter = ("street", "status", "verified_by")
    search_fields = ("real_name",)
    raw_id_fields = ("user",)


@admin.register(AccessPolicy)
class AccessPolicyAdmin(admin.ModelAdmin):
    list_display = ("compound", "riders_allowed", "hours_from", "hours_until", "max_per_hour", "other_streets")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Tap)
class TapAdmin(ReadOnlyAdmin):
    list_display = ("at", "gate", "decision", "reason", "outcome", "opened")
    list_filter = ("decision", "reason", "street")


@admin.register(AccessAlert)
class AccessAlertAdmin(ReadOnlyAdmin):
    list_display = ("at", "kind", "street", "gate")
    list_filter = ("kind", "street")
