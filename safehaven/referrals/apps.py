from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "safehaven.referrals"
    label = "referrals"

    def ready(self):
        # Register navigation entries, chart panels, gate checks, demo hooks and API paths here.
        pass
