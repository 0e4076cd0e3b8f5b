from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "jiefen.orgs"
    label = "orgs"
    verbose_name = "机构与人员"
