from django.apps import AppConfig


class PartiesConfig(AppConfig):
    name = "jiefen.parties"
    label = "parties"
    verbose_name = "当事人"
