from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "jiefen.audit"
    label = "audit"
    verbose_name = "审计"
