from django.apps import AppConfig


class NarrativeConfig(AppConfig):
    name = "journey.web.narrative"
    label = "narrative"
