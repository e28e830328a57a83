from django.contrib import admin

from linli.affairs.models import Item, Material, Policy, Resource, SlotException, SlotTemplate, Synonym


class MaterialInline(admin.TabularInline):
    model = Material
    extra = 0


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "street", "department", "prereview", "entrusted", "is_active")
    list_filter = ("street", "prereview", "entrusted", "is_active")
    search_fields = ("code", "name", "department")
    inlines = [MaterialInline]


@admin.register(Synonym)
class SynonymAdmin(admin.ModelAdmin):
    list_display = ("term", "means", "street")
    list_filter = ("street",)


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "place", "street", "is_active")
    list_filter = ("street", "kind")


@admin.register(SlotTemplate)
class SlotTemplateAdmin(admin.ModelAdmin):
    list_display = ("resource", "weekdays", "times", "minutes", "places", "is_active")


@admin.register(SlotException)
class SlotExceptionAdmin(admin.ModelAdmin):
    list_display = ("resource", "start", "end", "reason")


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = ("street", "no_show_limit", "no_show_window_days", "suspension_days", "cancel_cutoff_minutes")
