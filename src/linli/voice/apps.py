from django.apps import AppConfig


class VoiceConfig(AppConfig):
    name = "linli.voice"
    label = "voice"
    verbose_name = "居民之声 Residents' voice"

    def ready(self) -> None:
        """Registers the actions import (`linli import voice-actions`). Imported here: apps.py is loaded before
        models can be imported."""
        from linli.core.transfers import importer_register
        from linli.voice.services.actions_import import actions_import

        importer_register("voice-actions", actions_import, reads="text")

        # The append-only timelines: monthly partitions on PostgreSQL, kept as long as their record.
        from linli.core.partitions import register_timelines
        from linli.voice.models_consult import ConsultationEvent

        register_timelines(ConsultationEvent)
