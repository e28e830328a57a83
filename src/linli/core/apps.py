from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "linli.core"
    label = "core"
    verbose_name = "核心 Core"

    def ready(self) -> None:
        """Request logs never carry a whole phone or ID number (`core.logmask`)."""
        # Imported here, not at the top: apps.py is loaded before the app registry can import models.
        from linli.core import logmask

        logmask.install()
