from django.apps import AppConfig


class BackgroundConfig(AppConfig):
    name = "journey.web.background"
    label = "background"
    verbose_name = "Background work"

    def ready(self) -> None:
        from journey.web.background import progress

        progress.connect()
