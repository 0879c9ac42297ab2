from django.apps import AppConfig


class SsdConfig(AppConfig):
    name = "journey.web.ssd"
    label = "ssd"
    verbose_name = "Standard Safeguarding Dataset reads"
