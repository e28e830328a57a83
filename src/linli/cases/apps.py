from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "linli.cases"
    label = "cases"
    verbose_name = "事件处置 Hazard reports and cases"

    def ready(self) -> None:
        # Imported here, not at the top: apps.py is loaded before the app registry can import models.
        from linli.cases.models import CaseEvent
        from linli.cases.services.defaults import street_defaults_create
        from linli.core.partitions import Retained, register
        from linli.core.street_defaults import street_defaults_register

        # A new street takes reports at once: the default categories (`linli street add`, `street defaults`).
        street_defaults_register(
            key="case_categories", label="事件类别 case categories", create_missing=street_defaults_create
        )

        # The cases' timelines: monthly partitions, kept as long as their case (LINLI_RETENTION_TIMELINES_DAYS=0).
        register(Retained("timelines", CaseEvent._meta.db_table, "at", "LINLI_RETENTION_TIMELINES_DAYS"))
