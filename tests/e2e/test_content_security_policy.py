"""The Content-Security-Policy in the browser: it is sent, enforced, and the pages still work under it.

Every e2e test fails on a reported violation (the ``page`` fixture); these check the header itself,
that an injected inline script is refused and reported (so a silent listener cannot pass), and
that Swagger UI still starts offline with its nonce.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.models import Tenant

from .conftest import DEFAULT_TIMEOUT_MS, RECORD_CSP_VIOLATIONS, VIEWPORT

pytestmark = pytest.mark.e2e

INJECT_INLINE_SCRIPT = """() => {
  const s = document.createElement("script");
  s.textContent = "window.__injected = true;";
  document.head.appendChild(s);
  return window.__injected === true;
}"""


def test_a_page_sends_the_policy_and_the_browser_refuses_injected_script(browser, demo_site):
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    page = context.new_page()
    try:
        response = demo_site.go(page, "/login/")
        header = response.headers["content-security-policy"]
        assert "script-src 'self'" in header and "frame-ancestors 'none'" in header
        assert page.evaluate(INJECT_INLINE_SCRIPT) is False
        page.wait_for_function("() => window.__cspViolations.length > 0")
        (violation,) = page.evaluate("() => window.__cspViolations")
        assert violation.startswith("script-src-elem inline")
    finally:
        context.close()


def test_api_docs_start_under_their_nonce_and_lead_back_to_the_portal(page, demo_site, login, screenshot):
    login(page, "noc")
    response = demo_site.go(page, "/api/docs/")
    header = response.headers["content-security-policy"]
    assert "'nonce-" in header and "unsafe-inline" not in header
    # Swagger UI drew the schema (its bundle is the sidecar's, served by the portal: offline).
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("NOC Portal API")
    expect(page.locator(".opblock").first).to_be_visible()
    page.get_by_text("How to get a token").click()
    expect(page.locator("#portal-docs-bar")).to_contain_text("create_api_client")
    screenshot(page, "api-docs")
    page.locator("#back-to-portal").click()
    page.wait_for_url(demo_site.url + "/")
    expect(page.locator("#dashboard-tiles")).to_be_visible()


def test_the_admin_and_its_change_history_pass_the_policy(page, demo_site, login):
    """Django's admin ships no inline script; django-simple-history's history page has one style
    attribute, allowed by its hash (settings.CONTENT_SECURITY_POLICY) — the fixture checks no report."""
    login(page, "admin")
    tenant = Tenant.objects.get(slug="demo")
    demo_site.go(page, f"/admin/portal/tenant/{tenant.pk}/change/")
    expect(page.locator("#tenant_form")).to_be_visible()
    demo_site.go(page, f"/admin/portal/tenant/{tenant.pk}/history/")
    expect(page.locator("#change-history")).to_be_visible()
