"""Back office for the dashboard: its counters, read only. They are written by the domains' events and rebuilt
from the source tables (`linli dashboard rebuild`); an edit here would only be undone by the next rebuild, and
`linli dashboard check` would report it."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from linli.core.admin import StreetScopedAdmin
from linli.dashboard.models import KpiCounter


@admin.register(KpiCounter)
class KpiCounterAdmin(StreetScopedAdmin):
    list_display = ("street", "grid", "day", "kpi", "value")
    list_filter = ("kpi",)
    date_hierarchy = "day"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
