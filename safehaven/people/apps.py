from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "safehaven.people"
    label = "people"
