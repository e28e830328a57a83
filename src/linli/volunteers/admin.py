from django.contrib import admin

from linli.volunteers.models import Claim, ServiceItem, Shift, Station, Team, Volunteer


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    list_display = ("name", "street", "place")
    list_filter = ("street",)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "street", "verified_at")
    list_filter = ("street", "kind")
    exclude = ("managers",)


@admin.register(Volunteer)
class VolunteerAdmin(admin.ModelAdmin):
    """Names only in the list: phones and emergency contacts stay on the detail page."""

    list_display = ("name", "street", "team", "real_name_verified_at")
    list_filter = ("street",)
    raw_id_fields = ("user", "team", "registered_by")


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
    list_display = ("title", "station", "start", "places", "taken")
    list_filter = ("station__street",)


@admin.register(ServiceItem)
class ServiceItemAdmin(admin.ModelAdmin):
    list_display = ("title", "station", "date", "people_needed", "claimed", "status")


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    list_display = ("item", "team", "volunteer", "people", "status", "served")
