from django.apps import AppConfig


class EducationConfig(AppConfig):
    name = "jiefen.education"
    label = "education"
    verbose_name = "宣传教育与黑灰产治理"
