from django.apps import AppConfig


class AffairsConfig(AppConfig):
    name = "linli.affairs"
    label = "affairs"
    verbose_name = "社区事务 Community affairs"

    def ready(self) -> None:
        """Affairs registers into lower domains' hooks (import/export kinds, street defaults, the assistant's
        answer providers); no lower domain imports affairs (docs/architecture.md)."""
        # Imported here, not at the top: apps.py is loaded before the app registry can import models.
        from linli.affairs import selectors
        from linli.affairs.services import assistant_answers, defaults
        from linli.affairs.services.items_import import items_import
        from linli.assistant import hooks as assistant_hooks
        from linli.core import street_defaults, transfers

        street_defaults.street_defaults_register(
            key="affairs",
            label="社区事务规则与同义词 affairs policy and synonyms",
            create_missing=defaults.street_defaults_create,
        )
        transfers.importer_register("affairs", items_import, reads="text")
        transfers.exporter_register("affairs", selectors.items_export_csv)
        assistant_hooks.answer_provider_register("affairs", assistant_answers.affairs_answer)
        assistant_hooks.card_type_register("affair", assistant_answers.affair_card_exists)

        # The append-only timelines: monthly partitions on PostgreSQL, kept as long as their record.
        from linli.affairs.models import AppointmentEvent, PreReviewEvent
        from linli.affairs.models_queue import QueueTicketEvent, RemoteSessionEvent
        from linli.core.partitions import register_timelines

        register_timelines(AppointmentEvent, PreReviewEvent, QueueTicketEvent, RemoteSessionEvent)
