from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "jiefen.evidence"
    label = "evidence"
    verbose_name = "存证"
