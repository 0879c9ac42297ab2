"""Running the service: backup and restore, the watched folder (docs/deploy.md).

Reminders by e-mail are in ``journey.web.background.reminders``."""
