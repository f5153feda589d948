from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "safehaven.evaluation"
    label = "evaluation"

    def ready(self):
        # Register navigation entries, chart panels, gate checks, demo hooks and API paths here.
        pass
