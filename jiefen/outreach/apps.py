from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "jiefen.outreach"
    label = "outreach"
    verbose_name = "短信与外呼"
