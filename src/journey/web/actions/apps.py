from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "journey.web.actions"
    label = "actions"
