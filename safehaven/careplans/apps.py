from django.apps import AppConfig


class CareplansConfig(AppConfig):
    name = "safehaven.careplans"
    label = "careplans"

    def ready(self):
        # Register navigation entries, chart panels, gate checks, demo hooks and API paths here.
        pass
