from django.apps import AppConfig


class AssistantConfig(AppConfig):
    name = "linli.assistant"
    label = "assistant"
    verbose_name = "问一问 Assistant"
