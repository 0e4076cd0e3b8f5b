from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "jiefen.stats"
    label = "stats"
    verbose_name = "监测统计"
