from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "jiefen.accounts"
    label = "accounts"
    verbose_name = "账户"
