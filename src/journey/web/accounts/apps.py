from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "journey.web.accounts"
    label = "accounts"
    verbose_name = "Accounts, roles and audit log"
