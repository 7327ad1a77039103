"""System checks (`manage.py check`, and `check --deploy` in `make test`) for the passport's
settings, so a node with a malformed key-encryption key or base URL refuses to start instead
of failing at its first signature."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register


@register(Tags.security)
def key_encryption_key_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from .keystore import KeystoreError, keyring

    try:
        keyring()
    except KeystoreError as error:
        return [Error(str(error), id="passport.E001")]
    return []


@register(Tags.security, deploy=True)
def key_encryption_key_deploy_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not getattr(settings, "COVENANT_KEY_ENCRYPTION_KEY", ""):
        return [
            Warning(
                "COVENANT_KEY_ENCRYPTION_KEY is not set, so private keys are encrypted with a "
                "key derived from SECRET_KEY. Set it to 32 random bytes in base64.",
                id="passport.W001",
            )
        ]
    return []


def base_url_problem(url: str) -> str | None:
    """What is wrong with COVENANT_BASE_URL, or None. It must be an origin: issuer ids, the
    did:web identifier and status-list URLs are all built on it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return (
            "COVENANT_BASE_URL must be an http(s) origin like https://node.example.org, "
            f"not {url!r}."
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        return (
            f"COVENANT_BASE_URL must be an origin with no path, query or user ({url!r}): "
            "the did:web document is published at /.well-known/did.json on that host."
        )
    return None


@register()
def base_url_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    problem = base_url_problem(str(getattr(settings, "COVENANT_BASE_URL", "")))
    return [Error(problem, id="passport.E002")] if problem else []


@register(deploy=True)
def base_url_deploy_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not str(getattr(settings, "COVENANT_BASE_URL", "")).startswith("https://"):
        return [
            Warning(
                "COVENANT_BASE_URL should be https: wallets and verifiers fetch issuer keys "
                "and status lists from it.",
                id="passport.W002",
            )
        ]
    return []
