from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "safehaven.directory"
    label = "directory"

    def ready(self):
        # Register navigation entries, chart panels, gate checks, demo hooks and API paths here.
        pass
