#!/usr/bin/env python
"""Django's management command, for developers (analysts use `journey`)."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "journey.web.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
