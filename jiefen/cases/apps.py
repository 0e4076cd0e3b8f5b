from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "jiefen.cases"
    label = "cases"
    verbose_name = "案件"
