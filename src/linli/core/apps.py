from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "linli.core"
    label = "core"
    verbose_name = "核心 Core"

    def ready(self) -> None:
        """Request logs never carry a whole phone or ID number (`core.logmask`)."""
        # Imported here, not at the top: apps.py is loaded before the app registry can import models.
        from linli.core import logmask
        from linli.core.models import AuditLog, IdempotencyKey, SmsCode
        from linli.core.partitions import Retained, register

        logmask.install()

        # The append-only and expiring tables of core and how long their rows live (linli.core.partitions).
        register(Retained("audit", AuditLog._meta.db_table, "at", "LINLI_RETENTION_AUDIT_DAYS"))
        register(
            Retained(
                "idempotency keys",
                IdempotencyKey._meta.db_table,
                "created_at",
                "LINLI_IDEMPOTENCY_TTL_HOURS",
                unit="hours",
                partitioned=False,
            )
        )
        register(
            Retained(
                "sms codes", SmsCode._meta.db_table, "created_at", "LINLI_RETENTION_SMS_CODES_DAYS", partitioned=False
            )
        )
