from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "journey.web.reports"
    label = "reports"

    def ready(self) -> None:
        from django_tasks.signals import task_finished

        from journey.web.reports.tasks import build_task_finished

        task_finished.connect(build_task_finished, dispatch_uid="reports.build_finished")
