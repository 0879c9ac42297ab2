from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "journey.web.actions"
    label = "actions"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from journey.web.actions.signals import plan_version_saved

        post_save.connect(
            plan_version_saved, sender="plans.PlanVersion", dispatch_uid="actions.plan_saved"
        )
