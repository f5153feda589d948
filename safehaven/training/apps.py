from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "safehaven.training"
    label = "training"

    def ready(self):
        # Register navigation entries, chart panels, gate checks, demo hooks and API paths here.
        pass
