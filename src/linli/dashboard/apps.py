from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "linli.dashboard"
    label = "dashboard"
    verbose_name = "指挥大屏 Dashboard"

    def ready(self) -> None:
        # Imported here: apps.py loads before models can be imported (Django's rule).
        from linli.core import hooks, transitions
        from linli.dashboard.services import counters

        # The counters follow the domains' own events, after each commit (see services.counters).
        transitions.move_listener_register(counters.on_moves)
        hooks.work_listener_register(counters.on_work)
