from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The sample street and `linli demo`: composition over every domain (above them all; no domain imports it)."""

    name = "linli.demo"
    label = "demo"
    verbose_name = "示例街道 Sample street"
