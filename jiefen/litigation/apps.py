from django.apps import AppConfig


class LitigationConfig(AppConfig):
    name = "jiefen.litigation"
    label = "litigation"
    verbose_name = "诉讼与执行"
