"""WSGI entry point: in production, refuses to start until the deployment checks pass."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "journey.web.settings")
application = get_wsgi_application()

from journey.web.startup import check_deployment  # noqa: E402 - needs Django set up

check_deployment()
