"""Running the service: backup and restore, reminders, the watched folder (docs/deploy.md)."""
