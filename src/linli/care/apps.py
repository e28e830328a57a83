from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "linli.care"
    label = "care"
    verbose_name = "关爱 Care"

    def ready(self) -> None:
        """Registers the per-street defaults (nothing to create: a street's care starts with its committees) and
        the resident's "我的" panel. Imported here: apps.py is loaded before models can be imported."""
        from linli.care.views import resident
        from linli.core import hooks as core_hooks

        core_hooks.ME_PANEL.register(resident.me_panel_url, key="care.me_panel")
