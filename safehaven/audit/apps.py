from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "safehaven.audit"
    label = "audit"
