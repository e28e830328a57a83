from django.apps import AppConfig


class PlacesConfig(AppConfig):
    name = "linli.places"
    label = "places"
    verbose_name = "服务点位 Service points"

    def ready(self) -> None:
        # Imported here, not at the top: apps.py is loaded before the app registry can import models.
        from linli.core import transfers
        from linli.places.selectors import places_export
        from linli.places.services import places_import

        transfers.importer_register("places", places_import)
        transfers.exporter_register("places", places_export)
