from django.apps import AppConfig


class AssistantConfig(AppConfig):
    name = "linli.assistant"
    label = "assistant"
    verbose_name = "问一问 Assistant"

    def ready(self) -> None:
        """The assistant shows its entry and panel on places' map through places' hooks; places never imports the
        assistant (docs/architecture.md)."""
        # Imported here, not at the top: apps.py is loaded before the app registry can import models.
        from linli.assistant.views import map_pieces
        from linli.places import hooks as place_hooks

        place_hooks.MAP_OVERLAY.register(map_pieces.map_panel_url, key="assistant.map_panel")
