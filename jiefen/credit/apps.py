from django.apps import AppConfig


class CreditConfig(AppConfig):
    name = "jiefen.credit"
    label = "credit"
    verbose_name = "信用救助"
