"""Back office for meals. Street admins see their streets' rows only. Ledgers (wallet entries, order events) and
orders are read-only here: money and order states change only through the services (conditional UPDATEs, the
transition table and the append-only timelines are never bypassed)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from linli.core.admin import StreetScopedAdmin, admin_street_ids
from linli.meals.models import (
    DeliveryRun,
    DeliveryStop,
    Dish,
    Inspection,
    InspectionItem,
    InspectionPhoto,
    Kitchen,
    MealProfile,
    Menu,
    MenuItem,
    Order,
    OrderDiscount,
    OrderEvent,
    OrderLine,
    PricingTier,
    Rating,
    TastingScore,
    Wallet,
    WalletEntry,
    WasteRecord,
)
from linli.places.models import Place


class NestedStreetAdmin(StreetScopedAdmin):
    """Street scoping for rows that reach their street through a relation (`street_path` with `__`)."""

    def _obj_ok(self, request: HttpRequest, obj: Any) -> bool:
        if obj is None or request.user.is_superuser:
            return True
        target = obj
        for part in self.street_path.split("__"):
            target = getattr(target, part, None)
            if target is None:
                return False
        return target.pk in admin_street_ids(request)


class ReadOnlyMixin:
    """Nothing can be added, changed or deleted: the rows are written by the services only."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
    can_delete = False


# ----------------------------------------------------------------------------------- kitchens, menus


@admin.register(Kitchen)
class KitchenAdmin(StreetScopedAdmin):
    list_display = ("place", "street", "is_elder_canteen", "breakfast_cutoff", "lunch_cutoff", "dinner_cutoff")
    list_filter = ("is_elder_canteen", "street")
    search_fields = ("place__name", "place__external_id")
    filter_horizontal = ("serves",)
    raw_id_fields = ("place",)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "serves" and not request.user.is_superuser:
            kwargs["queryset"] = Place.objects.filter(street_id__in=admin_street_ids(request))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(Dish)
class DishAdmin(NestedStreetAdmin):
    street_path = "kitchen__street"
    list_display = ("name", "kitchen", "is_set_meal", "is_new")
    list_filter = ("is_set_meal", "is_new")
    search_fields = ("name",)
    raw_id_fields = ("kitchen",)


class MenuItemInline(admin.TabularInline):
    model = MenuItem
    extra = 0
    fields = ("dish", "price_fen", "half_price_fen", "daily_limit", "sold", "is_elder_discount_set", "sort_order")
    readonly_fields = ("sold",)
    raw_id_fields = ("dish",)


@admin.register(Menu)
class MenuAdmin(NestedStreetAdmin):
    street_path = "kitchen__street"
    list_display = ("date", "slot", "kitchen", "status", "cutoff_at")
    list_filter = ("status", "slot", "date")
    date_hierarchy = "date"
    readonly_fields = ("status", "published_at", "locked_at")  # status moves through the services only
    raw_id_fields = ("kitchen",)
    inlines = [MenuItemInline]


@admin.register(PricingTier)
class PricingTierAdmin(StreetScopedAdmin):
    list_display = ("name", "street", "kind", "min_age", "hardship", "discount_type", "value", "is_active")
    list_filter = ("kind", "is_active", "street")


@admin.register(MealProfile)
class MealProfileAdmin(StreetScopedAdmin):
    list_display = ("user", "street", "home_delivery", "verified_at")
    raw_id_fields = ("user", "compound", "verified_by")


# -------------------------------------------------------------------------------- wallets and orders


class WalletEntryInline(ReadOnlyInline):
    model = WalletEntry
    fields = ("at", "kind", "amount_fen", "balance_after_fen", "order", "actor", "note")
    readonly_fields = fields


@admin.register(Wallet)
class WalletAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Balances change only by top-ups, charges and refunds in the wallet services."""

    list_display = ("user", "street", "balance_fen", "updated_at")
    list_filter = ("street",)
    readonly_fields = ("user", "street", "balance_fen", "updated_at")
    inlines = [WalletEntryInline]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)


@admin.register(WalletEntry)
class WalletEntryAdmin(ReadOnlyMixin, StreetScopedAdmin):
    list_display = ("at", "wallet", "kind", "amount_fen", "balance_after_fen", "order", "street")
    list_filter = ("kind",)


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ("dish_name", "quantity", "half", "unit_price_fen", "line_fen")
    readonly_fields = fields


class OrderDiscountInline(ReadOnlyInline):
    model = OrderDiscount
    fields = ("label", "amount_fen", "tier")
    readonly_fields = fields


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ("at", "actor", "from_status", "to_status", "note")
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(ReadOnlyMixin, StreetScopedAdmin):
    list_display = ("id", "date", "slot", "kitchen", "status", "destination_type", "total_fen")
    list_filter = ("status", "slot", "destination_type", "date")
    date_hierarchy = "date"
    inlines = [OrderLineInline, OrderDiscountInline, OrderEventInline]


@admin.register(OrderEvent)
class OrderEventAdmin(ReadOnlyMixin, NestedStreetAdmin):
    street_path = "order__street"
    list_display = ("at", "order", "from_status", "to_status", "actor")


# ------------------------------------------------------------------------------- delivery, quality


class DeliveryStopInline(admin.TabularInline):
    model = DeliveryStop
    extra = 0
    fields = ("seq", "place", "label", "handed_over_at", "handed_over_to")
    raw_id_fields = ("place",)


@admin.register(DeliveryRun)
class DeliveryRunAdmin(NestedStreetAdmin):
    street_path = "kitchen__street"
    list_display = ("date", "slot", "kitchen", "name", "rider", "status")
    list_filter = ("status", "slot")
    readonly_fields = ("status", "picked_up_at", "done_at")
    raw_id_fields = ("kitchen", "rider")
    inlines = [DeliveryStopInline]


@admin.register(Rating)
class RatingAdmin(ReadOnlyMixin, NestedStreetAdmin):
    street_path = "kitchen__street"
    list_display = ("created_at", "kitchen", "taste", "portion", "price")


class InspectionItemInline(admin.TabularInline):
    model = InspectionItem
    extra = 0


class InspectionPhotoInline(admin.TabularInline):
    model = InspectionPhoto
    extra = 0
    readonly_fields = ("image", "width", "height")


@admin.register(Inspection)
class InspectionAdmin(NestedStreetAdmin):
    street_path = "kitchen__street"
    list_display = ("at", "kitchen", "inspector")
    raw_id_fields = ("kitchen", "inspector")
    inlines = [InspectionItemInline, InspectionPhotoInline]


@admin.register(TastingScore)
class TastingScoreAdmin(NestedStreetAdmin):
    street_path = "dish__kitchen__street"
    list_display = ("panel_date", "dish", "score")
    raw_id_fields = ("dish", "scorer")


@admin.register(WasteRecord)
class WasteRecordAdmin(NestedStreetAdmin):
    street_path = "kitchen__street"
    list_display = ("date", "kitchen", "grams")
    raw_id_fields = ("kitchen", "recorded_by")
