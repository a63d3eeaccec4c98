"""The browser test harness: the system Chromium driven by Playwright against a live, seeded portal.

Fixtures (extend them here; keep the run short — the seed is ``--small``):

- ``browser``   one Playwright Chromium for the e2e package, the system binary (never downloaded)
- ``page``      a fresh browser context per test (own cookies), 1366x768, 10 s default timeout
- ``demo_site`` pytest-django's ``live_server`` on a transactional database seeded with
                ``seed_demo --small``; returns :class:`DemoSite` (``url``, ``password``, ``go(page, path)``)
- ``login``     ``login(page, "noc")`` signs a demo user in through the login form
- ``screenshot`` ``screenshot(page, "subscribers-list")`` writes ``test-artifacts/e2e/<name>.png``
- ``eager_celery`` runs Celery tasks inside the request that queues them (no worker needed)

Every test here is marked ``e2e`` (``pytest -m "not e2e"`` skips them); without
``/usr/bin/chromium`` they are skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command

from portal.celery import app

CHROMIUM = os.environ.get("NOC_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_PASSWORD = "e2e-demo-password"
VIEWPORT = {"width": 1366, "height": 768}
DEFAULT_TIMEOUT_MS = 10_000
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="package", autouse=True)
def django_allow_async_unsafe():
    """Playwright's sync API runs an event loop in this thread; Django's ORM must still be usable from it.

    Set for the e2e package only and restored after it: the rest of the suite keeps Django's
    async-safety check (and ``manage.py check --deploy`` in a subprocess refuses the variable).
    """
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if before is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


def _chromium_missing() -> str:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"e2e: no Chromium at {CHROMIUM} (install the distribution's chromium package; CI's .ci/run does)"
    try:
        # Probed here, not imported at the top: without playwright the e2e tests skip with a reason.
        import playwright.sync_api  # noqa: F401, PLC0415
    except ImportError:
        return "e2e: the playwright Python package is not installed"
    return ""


# Package scope, not session: Playwright's sync API keeps an event loop running in this thread
# while it is open, and the suite's async tests (run after this package) need the thread's loop free.
@pytest.fixture(scope="package")
def browser():
    reason = _chromium_missing()
    if reason:
        pytest.skip(reason)
    # Only once _chromium_missing() has found playwright installed (it is optional for the rest of the suite).
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


# Every document the browser opens records the Content-Security-Policy violations it reports.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(
    [e.effectiveDirective, e.blockedURI || "inline", e.sourceFile + ":" + e.lineNumber, e.sample].join(" ")
  );
});
"""


def _csp_violations(page) -> list[str]:
    if page.is_closed():
        return []
    try:
        return page.evaluate("() => window.__cspViolations || []")
    except Exception:  # playwright.Error: the page is mid-navigation or gone (its console lines still count)
        return []


@pytest.fixture
def page(browser):
    """A fresh context; the test fails if the page reported a CSP violation (checked before each
    navigation, since a new document starts a new record, and at teardown)."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB", timezone_id="UTC")
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    page = context.new_page()
    violations: list[str] = []
    # Console lines too: a violation in a document that is left before teardown still shows there.
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    yield page
    violations.extend(_csp_violations(page))
    context.close()
    assert violations == [], f"Content-Security-Policy violations: {violations}"


@dataclass(frozen=True)
class DemoSite:
    url: str
    password: str

    def go(self, page, path: str):
        """Open ``path`` on the live portal and wait until it has loaded."""
        return page.goto(self.url + path, wait_until="domcontentloaded")


@pytest.fixture
def demo_site(live_server, transactional_db) -> DemoSite:
    call_command("seed_demo", "--small", "--password", DEMO_PASSWORD, stdout=open(os.devnull, "w"))  # noqa: SIM115
    return DemoSite(url=live_server.url, password=DEMO_PASSWORD)


@pytest.fixture
def login(demo_site):
    def sign_in(page, username: str) -> None:
        demo_site.go(page, "/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(demo_site.password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(demo_site.url + "/")

    return sign_in


@pytest.fixture
def screenshot():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, *, full_page: bool = True) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


@pytest.fixture
def eager_celery():
    """Run tasks where they are queued (the live server's request thread): no worker, no broker."""
    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


def csrf_headers(page) -> dict[str, str]:
    """The page's CSRF token as a header, for requests made outside a form (forged-POST checks)."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    return {"X-CSRFToken": token, "Referer": page.url}


# The device pages' fixtures: the simulated demo fleet, a real Celery worker, fleet_site.
from .fleet_fixtures import e2e_fleet, e2e_worker, fleet_site  # noqa: E402, F401
