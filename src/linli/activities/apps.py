from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "linli.activities"
    label = "activities"
    verbose_name = "活动 Activities"

    def ready(self) -> None:
        """Activities shows its pieces on places' pages through places' hooks; places never imports activities
        (docs/architecture.md)."""
        # Imported here, not at the top: apps.py is loaded before the app registry can import models.
        from linli.activities.calendar import activities_import
        from linli.activities.views import map_pieces
        from linli.core import transfers
        from linli.places import hooks as place_hooks

        place_hooks.PLACE_DETAIL.register(map_pieces.venue_activities_url, key="activities.venue")
        place_hooks.STREET_MAP.register(map_pieces.map_link_url, key="activities.map_link")
        place_hooks.PLACE_RESULTS.register(map_pieces.map_badges_url, key="activities.map_badges")
        transfers.importer_register("activities", activities_import, reads="text")

        # The append-only timelines: monthly partitions on PostgreSQL, kept as long as their record.
        from linli.activities.models import BookingEvent
        from linli.core.partitions import register_timelines

        register_timelines(BookingEvent)
