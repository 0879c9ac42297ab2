from django.apps import AppConfig


class ReportTextConfig(AppConfig):
    name = "journey.web.reporttext"
    label = "reporttext"
    verbose_name = "Report text written by people"
