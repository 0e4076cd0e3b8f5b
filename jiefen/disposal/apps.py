from django.apps import AppConfig


class DisposalConfig(AppConfig):
    name = "jiefen.disposal"
    label = "disposal"
    verbose_name = "集中处置"
