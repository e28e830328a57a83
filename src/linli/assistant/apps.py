from django.apps import AppConfig


class AssistantConfig(AppConfig):
    name = "linli.assistant"
    label = "assistant"
    verbose_name = "问一问 Assistant"

    def ready(self) -> None:
        """The assistant shows its entry and panel on places' map through places' hooks; places never imports the
        assistant (docs/architecture.md)."""
        # Imported here, not at the top: apps.py is loaded before the app registry can import models.
        from linli.assistant.models import AskLog
        from linli.assistant.views import map_pieces
        from linli.core.partitions import Retained, register
        from linli.places import hooks as place_hooks

        place_hooks.MAP_OVERLAY.register(map_pieces.map_panel_url, key="assistant.map_panel")

        # What residents typed: monthly partitions, kept LINLI_RETENTION_QUESTIONS_DAYS (PIPL minimum).
        register(Retained("questions", AskLog._meta.db_table, "created_at", "LINLI_RETENTION_QUESTIONS_DAYS"))
