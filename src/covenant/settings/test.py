"""The test suite: SQLite in memory unless DATABASE_URL points at the PostgreSQL under test."""

import os

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-" + "y" * 50
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
COVENANT_MFA_REQUIRED = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if not os.environ.get("DATABASE_URL"):
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ACCOUNT_RATE_LIMITS = False  # type: ignore[assignment]
# Static files come straight from the apps (no collectstatic step in development or tests).
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
