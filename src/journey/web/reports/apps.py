from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "journey.web.reports"
    label = "reports"
