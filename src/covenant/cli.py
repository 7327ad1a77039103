"""`covenant` on the command line is `manage.py` with the node's settings preselected."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "covenant.settings.dev")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
