from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "safehaven.fhir"
    label = "fhir"

    def ready(self):
        # Register navigation entries, chart panels, gate checks, demo hooks and API paths here.
        pass
