from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "linli.dashboard"
    label = "dashboard"
    verbose_name = "指挥大屏 Dashboard"
