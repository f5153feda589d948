from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "safehaven.api"
    label = "api"
