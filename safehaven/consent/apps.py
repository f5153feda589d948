from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "safehaven.consent"
    label = "consent"
