from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "linli.dashboard"
    label = "dashboard"
    verbose_name = "指挥大屏 Dashboard"

    def ready(self) -> None:
        # Imported here: apps.py loads before models can be imported (Django's rule).
        from linli.core import hooks, transitions
        from linli.dashboard.services import counters
        from linli.dashboard.services.live import change_heard

        # The counters follow the domains' own events, after each commit (see services.counters).
        transitions.move_listener_register(counters.on_moves)
        hooks.work_listener_register(counters.on_work)
        # Every domain's committed change reaches the open live dashboards of its grid and the grid's ancestors.
        hooks.change_listener_register(change_heard, key="dashboard.live")
