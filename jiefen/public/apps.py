from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "jiefen.public"
    label = "public"
    verbose_name = "公众服务"
