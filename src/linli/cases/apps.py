from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "linli.cases"
    label = "cases"
    verbose_name = "事件处置 Hazard reports and cases"

    def ready(self) -> None:
        from linli.core.street_defaults import street_defaults_register

        street_defaults_register(
            key="case_categories",
            label="事件类别 case categories",
            path="linli.cases.services.defaults.street_defaults_create",
        )
