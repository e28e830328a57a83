from django.apps import AppConfig


class VolunteersConfig(AppConfig):
    name = "linli.volunteers"
    label = "volunteers"
    verbose_name = "志愿服务 Volunteers"

    def ready(self) -> None:
        # Imported here, not at the top: apps.py is loaded before the app registry can import models.
        # The append-only timelines: monthly partitions on PostgreSQL, kept as long as their record.
        from linli.core.partitions import register_timelines
        from linli.volunteers.models import ClaimEvent, SignupEvent

        register_timelines(ClaimEvent, SignupEvent)
