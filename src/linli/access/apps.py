from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "linli.access"
    label = "access"
    verbose_name = "门禁通行 Rider gate access"

    def ready(self) -> None:
        # Imported here, not at the top: apps.py is loaded before the app registry can import models.
        from linli.access.gatewire.listener import start_in_process
        from linli.access.models import Tap
        from linli.access.selectors import riders_on_hold
        from linli.access.services.defaults import street_defaults_create
        from linli.core.background import embedded_service_register
        from linli.core.partitions import Retained, register
        from linli.core.street_defaults import street_defaults_register
        from linli.meals.hooks import rider_hold_register

        # The embedded `linli serve` records gate heartbeats in process (production runs `linli gate-listener`).
        embedded_service_register("gate-listener", start_in_process)

        # A new street knows the delivery platforms most riders come from.
        street_defaults_register(
            key="partners", label="配送平台 delivery partners", create_missing=street_defaults_create
        )

        # A suspended, revoked or expired rider is never offered for a meals run.
        rider_hold_register(riders_on_hold, key="access.credentials")

        # Taps say where a rider was and when: monthly partitions, kept LINLI_RETENTION_TAPS_DAYS (PIPL minimum).
        register(Retained("taps", Tap._meta.db_table, "at", "LINLI_RETENTION_TAPS_DAYS"))
