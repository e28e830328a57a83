from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "linli.care"
    label = "care"
    verbose_name = "关爱 Care"

    def ready(self) -> None:
        """Registers the per-street defaults (the care clocks) and the resident's "我的" panel. Imported here: apps.py is loaded before models can be imported."""
        from linli.care.services.policy import street_defaults_create
        from linli.care.views import resident
        from linli.core import hooks as core_hooks
        from linli.core.street_defaults import street_defaults_register

        core_hooks.ME_PANEL.register(resident.me_panel_url, key="care.me_panel")
        street_defaults_register(key="care", label="关爱时限 care clocks", create_missing=street_defaults_create)

        # The append-only timelines: monthly partitions on PostgreSQL, kept as long as their record.
        from linli.care.models import AlertEvent, CallEvent, FollowUpEvent, VisitEvent
        from linli.core.partitions import register_timelines

        register_timelines(AlertEvent, CallEvent, FollowUpEvent, VisitEvent)
