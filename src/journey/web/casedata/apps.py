from django.apps import AppConfig


class CasedataConfig(AppConfig):
    name = "journey.web.casedata"
    label = "casedata"
