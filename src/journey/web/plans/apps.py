from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "journey.web.plans"
    label = "plans"
