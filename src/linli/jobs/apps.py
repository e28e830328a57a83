from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "linli.jobs"
    label = "jobs"
    verbose_name = "就业 Jobs"

    def ready(self) -> None:
        """Registers `linli import jobs|roads` (core.transfers). Imported here: apps.py is loaded before models can
        be imported."""
        from linli.core import transfers
        from linli.jobs.services.jobs_import import jobs_import
        from linli.jobs.services.roads import roads_import

        transfers.importer_register("jobs", jobs_import, reads="text")
        transfers.importer_register("roads", roads_import)

        # The append-only timelines: monthly partitions on PostgreSQL, kept as long as their record.
        from linli.core.partitions import register_timelines
        from linli.jobs.models import ApplicationEvent

        register_timelines(ApplicationEvent)
