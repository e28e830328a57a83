from django.apps import AppConfig


class AffairsConfig(AppConfig):
    name = "linli.affairs"
    label = "affairs"
    verbose_name = "社区事务 Community affairs"

    def ready(self) -> None:
        """Affairs registers into lower domains' hooks (import/export kinds, street defaults, the assistant's
        answer providers); no lower domain imports affairs (docs/architecture.md)."""
        # Imported here, not at the top: apps.py is loaded before the app registry can import models.
        from linli.affairs.services import defaults
        from linli.core import street_defaults

        street_defaults.street_defaults_register(
            key="affairs", label="社区事务规则 affairs policy", create_missing=defaults.street_defaults_create
        )
