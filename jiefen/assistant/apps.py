from django.apps import AppConfig


class AssistantConfig(AppConfig):
    name = "jiefen.assistant"
    label = "assistant"
    verbose_name = "智能问答"
