from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "safehaven.accounts"
    label = "accounts"
