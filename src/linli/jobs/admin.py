"""Back office for jobs: stations, employers and jobs (no personal data). Seekers are deliberately NOT here: every
staff view of a profile must be audited and only the street's employment staff may see it, which the admin does
not do; employment staff use the jobs pages. Pipeline moves go through the services (transition table, timeline)."""

from __future__ import annotations

from django.contrib import admin

from linli.core.admin import StreetScopedAdmin
from linli.jobs.models import Employer, Job, Station


@admin.register(Station)
class StationAdmin(StreetScopedAdmin):
    list_display = ("id", "street", "name", "address")


@admin.register(Employer)
class EmployerAdmin(StreetScopedAdmin):
    list_display = ("id", "street", "name", "credit_code", "sector", "verified_at")
    list_filter = ("sector",)
    readonly_fields = ("verified_at", "verified_by", "credit_code")
    exclude = ("members",)


@admin.register(Job)
class JobAdmin(StreetScopedAdmin):
    list_display = ("id", "street", "title", "employer", "occupation", "hours_kind", "status", "valid_through")
    list_filter = ("status", "hours_kind")
    readonly_fields = ("employer", "created_by", "created_at", "updated_at")
