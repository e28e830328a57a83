from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "linli.access"
    label = "access"
    verbose_name = "门禁通行 Rider gate access"
