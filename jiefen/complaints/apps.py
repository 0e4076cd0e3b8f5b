from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    name = "jiefen.complaints"
    label = "complaints"
    verbose_name = "行长直通车"
