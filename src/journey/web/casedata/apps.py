from django.apps import AppConfig


class CasedataConfig(AppConfig):
    name = "journey.web.casedata"
    label = "casedata"

    def ready(self) -> None:
        from django_tasks.signals import task_finished

        from journey.web.casedata.tasks import load_task_finished

        task_finished.connect(load_task_finished, dispatch_uid="casedata.load_finished")
