"""A deployed node: secrets and hosts from the environment, HTTPS everywhere, mandatory e-mail
verification. `manage.py check --deploy` under these settings runs in `make test`."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("Set DJANGO_SECRET_KEY to a random string of 50 or more characters.")
if not ALLOWED_HOSTS:  # noqa: F405
    raise ImproperlyConfigured(
        "Set DJANGO_ALLOWED_HOSTS to the node's host names, comma-separated."
    )
CSRF_TRUSTED_ORIGINS = [f"https://{h}" for h in ALLOWED_HOSTS]  # noqa: F405
SECURE_SSL_REDIRECT = os.environ.get("COVENANT_SSL_REDIRECT", "1") == "1"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
EMAIL_BACKEND = os.environ.get(
    "COVENANT_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
)
