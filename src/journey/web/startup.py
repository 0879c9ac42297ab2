"""What a production server checks before it answers its first request.

Settings already refuse DEBUG and a weak key (``settings.py``); here Django's own
deployment checks (``manage.py check --deploy``) run too, and any warning stops start-up.
A warning the operator has decided against (HSTS or the HTTPS redirect done by the proxy)
is silenced by the setting that says so, never by hand.
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks


class UnsafeDeployment(RuntimeError):
    """Django's deployment checks found something to fix before serving."""


def check_deployment() -> None:
    """Run ``check --deploy``; raise with every finding unless this is development."""
    if settings.DEVELOPMENT:
        return
    found = [
        message
        for message in checks.run_checks(include_deployment_checks=True)
        if message.level >= checks.WARNING and not message.is_silenced()
    ]
    if found:
        lines = "\n".join(f"  {message}" for message in found)
        raise UnsafeDeployment(
            "Production start refused: Django's deployment checks (check --deploy) found:\n"
            f"{lines}\nSee docs/security.md, 'Configuration'."
        )
