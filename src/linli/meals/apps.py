from django.apps import AppConfig


class MealsConfig(AppConfig):
    name = "linli.meals"
    label = "meals"
    verbose_name = "助餐 Community meals"

    def ready(self) -> None:
        """Meals extends lower domains through their hooks; they never import meals (docs/architecture.md)."""
        # Imported here, not at the top: apps.py is loaded before the app registry can import models.
        from linli.activities import hooks as activity_hooks
        from linli.core import hooks as core_hooks
        from linli.core import transfers
        from linli.meals.services.booking_lunch import on_booking_cancelled
        from linli.meals.services.kitchen_places import KitchenServes
        from linli.meals.services.menus import menus_import
        from linli.meals.views.resident.lunch_offer import lunch_offer_url
        from linli.meals.views.resident.panels import booking_cancel_lunch_url, elder_tier_url
        from linli.places import hooks as place_hooks

        place_hooks.place_property_register(KitchenServes())
        activity_hooks.BOOKING_PANEL.register(lunch_offer_url, key="meals.lunch_offer")
        core_hooks.ME_PANEL.register(elder_tier_url, key="meals.elder_tier")
        activity_hooks.BOOKING_CANCEL_PANEL.register(booking_cancel_lunch_url, key="meals.booking_cancel_lunch")
        activity_hooks.booking_cancel_register(on_booking_cancelled, key="meals.booking_lunch")
        transfers.importer_register("menus", menus_import, reads="text")

        # The append-only timelines: monthly partitions on PostgreSQL, kept as long as their record.
        from linli.core.partitions import register_timelines
        from linli.meals.models import OrderEvent

        register_timelines(OrderEvent)
