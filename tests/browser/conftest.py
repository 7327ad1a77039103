"""Browser journeys: Playwright drives Debian's Chromium against pytest-django's live server.

Why these choices:

- The browser is the system's `/usr/bin/chromium` (scripts/ensure-system-packages installs
  it). Playwright never downloads one here, so `playwright install` is never run.
- The live server serves static files through `django.contrib.staticfiles`, as runserver
  does, so pages arrive with their real CSS and scripts; `page` fails a test whose page asked
  for a stylesheet or script that did not load, broke the Content-Security-Policy, threw a
  script error, or got a server error.
- Playwright's sync API runs an event loop in the test's thread, and Django refuses ORM calls
  from a thread with a running loop. The tests and the server here never share a connection
  across threads (except SQLite in memory, which Django shares deliberately for live servers),
  so DJANGO_ALLOW_ASYNC_UNSAFE is set while a browser is open, and only then.
- axe-core checks every page a journey passes through for WCAG 2.0, 2.1 and 2.2 A and AA
  rules; a serious or critical violation fails the test with a list a person can act on.

Fixtures: `page` (desktop), `phone_page` (360 px wide, touch), `phone_viewport`,
`new_page(viewport=..., javascript=...)` for anything else, `axe(page)` and
`assert_styled(page)`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Request,
    Response,
    ViewportSize,
    sync_playwright,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CHROMIUM = os.environ.get("COVENANT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE_CANDIDATES = [HERE / "vendor" / "axe.min.js", ROOT / "node_modules" / "axe-core" / "axe.min.js"]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
AXE_FAILING_IMPACTS = frozenset({"serious", "critical"})
PHONE: ViewportSize = {"width": 360, "height": 740}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
TIMEOUT_MS = 15_000


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Everything under tests/browser is a browser test, marked or not.

    Runs before `-m` deselects, so a journey someone forgot to mark still stays out of the
    SQLite and PostgreSQL runs (which have no browser to spare) and still runs in
    `make test-browser`.
    """
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[Playwright]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"No Chromium at {CHROMIUM}. Run scripts/ensure-system-packages "
            "(apt-get install chromium); Playwright's own browser download is not used here."
        )
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        yield playwright
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser(playwright_session: Playwright) -> Iterator[Browser]:
    # No user_data_dir: every launch starts from a fresh, throwaway profile, and every
    # context is a separate incognito-like session on top of it.
    browser = playwright_session.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@dataclass
class PageWatch:
    """What went wrong on a page that a person would notice, collected as it happens."""

    origin: str
    problems: list[str] = field(default_factory=list)

    def _ours(self, url: str) -> bool:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}" == self.origin

    def on_response(self, response: Response) -> None:
        url = response.url
        if not self._ours(url):
            return
        path = urlsplit(url).path
        if response.status >= 500:
            self.problems.append(f"server error {response.status} for {path}")
        elif response.status >= 400 and response.request.resource_type in (
            "stylesheet",
            "script",
            "image",
            "font",
        ):
            kind = response.request.resource_type
            self.problems.append(f"{kind} {path} answered {response.status}")

    def on_request_failed(self, request: Request) -> None:
        failure = request.failure or ""
        # A navigation that moves on before a resource finishes aborts it; that is no fault.
        if self._ours(request.url) and "ERR_ABORTED" not in failure:
            self.problems.append(f"request for {urlsplit(request.url).path} failed: {failure}")

    def on_console(self, message: ConsoleMessage) -> None:
        text = message.text
        if message.type == "error" and ("Content Security Policy" in text or "Refused to" in text):
            self.problems.append(f"the browser refused something: {text}")

    def on_page_error(self, error: Exception) -> None:
        self.problems.append(f"uncaught script error: {error}")


class PageFactory:
    """Opens pages in new browser contexts and checks, at the end, that none went wrong."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url.rstrip("/")
        self.contexts: list[BrowserContext] = []
        self.watches: list[PageWatch] = []

    def __call__(
        self, *, viewport: ViewportSize = DESKTOP, javascript: bool = True, **options: Any
    ) -> Page:
        mobile = viewport["width"] < 600
        context = self.browser.new_context(
            base_url=self.base_url,
            viewport=viewport,
            is_mobile=mobile,
            has_touch=mobile,
            java_script_enabled=javascript,
            locale="en-GB",
            timezone_id="Europe/London",
            **options,
        )
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        page = context.new_page()
        watch = PageWatch(origin=self.base_url)
        page.on("response", watch.on_response)
        page.on("requestfailed", watch.on_request_failed)
        page.on("console", watch.on_console)
        page.on("pageerror", watch.on_page_error)
        self.watches.append(watch)
        return page

    def close(self) -> list[str]:
        for context in self.contexts:
            context.close()
        return [problem for watch in self.watches for problem in watch.problems]


@pytest.fixture
def phone_viewport() -> ViewportSize:
    """A small phone held upright: the width the volunteer pages must work at."""
    return {"width": PHONE["width"], "height": PHONE["height"]}


@pytest.fixture
def new_page(browser: Browser, live_server: Any) -> Iterator[PageFactory]:
    factory = PageFactory(browser, live_server.url)
    yield factory
    problems = factory.close()
    if problems:
        pytest.fail("The browser saw problems:\n  " + "\n  ".join(problems), pytrace=False)


@pytest.fixture
def page(new_page: PageFactory) -> Page:
    return new_page()


@pytest.fixture
def phone_page(new_page: PageFactory, phone_viewport: ViewportSize) -> Page:
    return new_page(viewport=phone_viewport)


def _axe_source() -> str:
    for candidate in AXE_CANDIDATES:
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    tried = ", ".join(str(c.relative_to(ROOT)) for c in AXE_CANDIDATES)
    pytest.fail(f"axe-core not found (tried {tried}); scripts/build-frontend vendors it.")


def format_violations(violations: list[dict[str, Any]], url: str) -> str:
    lines = [f"axe found {len(violations)} serious or critical accessibility problem(s) on {url}:"]
    for violation in violations:
        lines.append(
            f"- [{violation['impact']}] {violation['id']}: {violation['help']} "
            f"({violation['helpUrl'].split('?')[0]})"
        )
        for node in violation["nodes"][:5]:
            target = " ".join(str(t) for t in node["target"])
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    at {target}: {summary}")
        if len(violation["nodes"]) > 5:
            lines.append(f"    ... and {len(violation['nodes']) - 5} more")
    return "\n".join(lines)


AxeCheck = Callable[..., list[dict[str, Any]]]


@pytest.fixture(scope="session")
def axe() -> AxeCheck:
    """`axe(page)` checks the page as it is now; fails on serious or critical violations.

    Returns every violation found (all impacts), so a test can look at the minor ones too.
    `include`/`exclude` take CSS selectors to narrow the check; `disable` takes rule ids to
    skip, each of which needs a reason in the test that passes it.
    """
    source = _axe_source()

    def check(
        page: Page,
        *,
        include: list[str] | None = None,
        exclude: list[str] | None = None,
        disable: tuple[str, ...] = (),
    ) -> list[dict[str, Any]]:
        # evaluate() runs outside the page's Content-Security-Policy, which would block an
        # injected <script>; axe is loaded once per document.
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(source)
        context: dict[str, Any] = {}
        if include:
            context["include"] = [[s] for s in include]
        if exclude:
            context["exclude"] = [[s] for s in exclude]
        options = {
            "runOnly": {"type": "tag", "values": AXE_TAGS},
            "resultTypes": ["violations"],
            "rules": {rule: {"enabled": False} for rule in disable},
        }
        results = page.evaluate(
            "([context, options]) => window.axe.run("
            "Object.keys(context).length ? context : document, options)",
            [context, options],
        )
        violations: list[dict[str, Any]] = results["violations"]
        failing = [v for v in violations if v.get("impact") in AXE_FAILING_IMPACTS]
        if failing:
            pytest.fail(format_violations(failing, page.url), pytrace=False)
        return violations

    return check


def _assert_stylesheets_loaded(page: Page) -> None:
    """The page links at least one stylesheet of ours, and every one of them has rules.

    A stylesheet that 404s or is served as the wrong type leaves `cssRules` empty or
    unreadable, which is what a person would see as an unstyled page.
    """
    sheets = page.evaluate(
        """() => Array.from(document.styleSheets).map((sheet) => {
            let rules = -1;
            try { rules = sheet.cssRules.length; } catch (e) { rules = -1; }
            return {href: sheet.href, rules: rules};
        })"""
    )
    host = urlsplit(page.url).netloc
    ours = [s for s in sheets if s["href"] and urlsplit(s["href"]).netloc == host]
    assert ours, f"{page.url} links no stylesheet of its own (found {sheets})"
    empty = [s["href"] for s in ours if s["rules"] <= 0]
    assert not empty, f"stylesheets with no rules (not loaded?): {empty}"


@pytest.fixture(scope="session")
def assert_styled() -> Callable[[Page], None]:
    """`assert_styled(page)`: the page's own stylesheets arrived and were parsed."""
    return _assert_stylesheets_loaded
