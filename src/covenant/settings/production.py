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
# The passport signs and publishes in the node's name: it must know its public origin, and
# must not fall back to a key-encryption key derived from SECRET_KEY.
if not os.environ.get("COVENANT_BASE_URL"):
    raise ImproperlyConfigured(
        "Set COVENANT_BASE_URL to the node's public origin, like https://node.example.org."
    )
if not os.environ.get("COVENANT_KEY_ENCRYPTION_KEY"):
    raise ImproperlyConfigured(
        "Set COVENANT_KEY_ENCRYPTION_KEY to 32 random bytes in base64 (it encrypts issuers' "
        "private keys). Make one with: openssl rand -base64 32"
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
