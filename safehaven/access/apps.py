from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "safehaven.access"
    label = "access"
