from django.apps import AppConfig


class MediationConfig(AppConfig):
    name = "jiefen.mediation"
    label = "mediation"
    verbose_name = "调解"
