"""The browser harness catches what it claims to catch.

A journey that passes is only worth something if axe, the page watch and the no-JavaScript
context would have failed it on a broken page; these tests break a page on purpose.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

PIXEL = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
# No language on <html> (serious) and an image with no text alternative (critical).
BROKEN = f"""<!doctype html><html><head><title>Broken</title></head><body><main>
<img src="{PIXEL}"></main></body></html>"""


def test_axe_fails_a_page_with_serious_violations(page: Page, axe: Callable[..., Any]) -> None:
    page.goto("/")
    page.set_content(BROKEN)
    with pytest.raises(pytest.fail.Exception) as failure:
        axe(page)
    message = str(failure.value)
    assert "[critical] image-alt" in message
    assert "[serious] html-has-lang" in message


def test_page_watch_reports_missing_static_files(new_page: Any) -> None:
    page = new_page()
    page.goto("/")
    page.set_content(
        '<!doctype html><link rel="stylesheet" href="/static/nowhere.css"><title>x</title>'
    )
    page.wait_for_load_state("load")
    problems = [problem for watch in new_page.watches for problem in watch.problems]
    assert any("stylesheet /static/nowhere.css answered 404" in p for p in problems), problems
    for watch in new_page.watches:  # seen, and expected: do not fail the test at teardown
        watch.problems.clear()


def test_javascript_off_means_off(new_page: Callable[..., Page]) -> None:
    page = new_page(javascript=False)
    page.goto("/")
    page.set_content(
        "<!doctype html><title>x</title><p id=out>no script</p>"
        "<script>document.getElementById('out').textContent = 'script ran'</script>"
    )
    assert page.locator("#out").inner_text() == "no script"
