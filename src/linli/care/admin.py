"""Back office for care. The register (people, consent, contacts, health notes) is deliberately NOT here: street
admins hold no care role, and every staff view of an entry must be audited, which the admin does not do; care staff
use the care pages. Calls are listed read-only, without personal data, for the street's admins to see the volume;
every change of a call goes through the services (transition table, timeline, pushes)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from linli.care.models import Call
from linli.core.admin import StreetScopedAdmin


@admin.register(Call)
class CallAdmin(StreetScopedAdmin):
    list_display = ("id", "street", "committee", "kind", "source", "status", "created_at", "acknowledged_at")
    list_filter = ("kind", "status", "source")
    fields = (
        "street",
        "committee",
        "kind",
        "source",
        "status",
        "created_at",
        "acknowledged_at",
        "on_site_at",
        "closed_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
