from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "safehaven.screening"
    label = "screening"

    def ready(self):
        # Register navigation entries, chart panels, gate checks, demo hooks and API paths here.
        pass
