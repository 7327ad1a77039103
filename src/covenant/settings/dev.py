"""`make run`: a local node on SQLite, debug pages on, mail printed to the console."""

import os

from .base import *  # noqa: F403
from .base import VAR_DIR

DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or "dev-only-" + "x" * 50
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
# Demo accounts sign in without a second factor; production requires it (see README).
COVENANT_MFA_REQUIRED = os.environ.get("COVENANT_MFA_REQUIRED", "0") == "1"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
VAR_DIR.mkdir(parents=True, exist_ok=True)
# Static files come straight from the apps (no collectstatic step in development or tests).
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
