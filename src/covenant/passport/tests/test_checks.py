"""System checks refuse a node whose passport settings cannot work."""

from __future__ import annotations

import base64
import os

import pytest

from covenant.passport import checks


def ids(messages) -> list[str]:
    return [m.id for m in messages]


def test_the_test_settings_pass() -> None:
    assert checks.key_encryption_key_check() == []
    assert checks.base_url_check() == []


def test_a_malformed_kek_is_an_error(settings) -> None:
    settings.COVENANT_KEY_ENCRYPTION_KEY = "too-short"
    assert ids(checks.key_encryption_key_check()) == ["passport.E001"]
    settings.COVENANT_KEY_ENCRYPTION_KEYS_RETIRED = "also bad"
    settings.COVENANT_KEY_ENCRYPTION_KEY = base64.b64encode(os.urandom(32)).decode()
    assert ids(checks.key_encryption_key_check()) == ["passport.E001"]


def test_deploy_wants_an_explicit_kek_and_https(settings) -> None:
    settings.COVENANT_KEY_ENCRYPTION_KEY = ""
    assert ids(checks.key_encryption_key_deploy_check()) == ["passport.W001"]
    settings.COVENANT_KEY_ENCRYPTION_KEY = base64.b64encode(os.urandom(32)).decode()
    assert checks.key_encryption_key_deploy_check() == []
    settings.COVENANT_BASE_URL = "http://node.example.org"
    assert ids(checks.base_url_deploy_check()) == ["passport.W002"]
    settings.COVENANT_BASE_URL = "https://node.example.org"
    assert checks.base_url_deploy_check() == []


@pytest.mark.parametrize(
    "url",
    [
        "",
        "node.example.org",
        "ftp://node.example.org",
        "https://node.example.org/passport",
        "https://user@node.example.org",
        "https://node.example.org?x=1",
    ],
)
def test_a_base_url_that_is_not_an_origin_is_an_error(settings, url: str) -> None:
    settings.COVENANT_BASE_URL = url
    assert ids(checks.base_url_check()) == ["passport.E002"]


@pytest.mark.parametrize(
    "url", ["https://node.example.org", "http://127.0.0.1:8000", "https://node.example.org/"]
)
def test_origins_pass(url: str) -> None:
    assert checks.base_url_problem(url) is None
