from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "safehaven.followup"
    label = "followup"

    def ready(self):
        # Register navigation entries, chart panels, gate checks, demo hooks and API paths here.
        pass
