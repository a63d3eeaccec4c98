"""The Content-Security-Policy: every page carries it and has no inline script or style for it to refuse.

The browser side (no violation reported while the e2e tests click through the pages) is checked by
tests/e2e/conftest.py's ``page`` fixture; these tests read the HTML the server sends.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from billing.models import BillingRun, Invoice
from devices.models import Cpe, DeviceAction
from network.ipam.models import Subnet
from portal.models import Tenant
from subscribers.models import Subscriber
from support.models import Ticket

pytestmark = pytest.mark.django_db

DEMO_PASSWORD = "csp-demo-password"
# What a script-src 'self' policy refuses: event-handler attributes and javascript: URLs.
HANDLER = re.compile(r"^on[a-z]+$")
# <script> elements a browser does not run (data blocks, e.g. Django's json_script).
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}


def policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    directives = (part.split() for part in header.split(";") if part.strip())
    return {words[0]: words[1:] for words in directives}


class InlineCode(HTMLParser):
    """Collects what the policy would refuse: inline scripts, handlers, javascript: URLs, inline styles."""

    def __init__(self, allowed_style_hashes: list[str]):
        super().__init__()
        self.allowed_style_hashes = allowed_style_hashes
        self.found: list[str] = []
        self.nonces: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if HANDLER.match(name) or name.startswith("hx-on"):
                self.found.append(f"<{tag} {name}=…>")
            if name == "style" and style_hash(value or "") not in self.allowed_style_hashes:
                self.found.append(f"<{tag} style={value!r}>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")
        if tag == "style":
            self.found.append("<style> element")
        if tag == "script" and "src" not in attributes and attributes.get("type") not in DATA_SCRIPT_TYPES:
            if attributes.get("nonce"):
                self.nonces.append(attributes["nonce"])
            else:
                self.found.append("inline <script> without a nonce")


def style_hash(value: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(value.encode()).digest()).decode() + "'"


def inline_code(response) -> InlineCode:
    """What the browser would refuse on this page under the policy the response carries."""
    rules = policy(response)
    hashed = rules.get("style-src-attr", []) if "'unsafe-hashes'" in rules.get("style-src-attr", []) else []
    parser = InlineCode(hashed)
    parser.feed(response.content.decode())
    return parser


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", "--small", "--password", DEMO_PASSWORD, stdout=open(os.devnull, "w"))  # noqa: SIM115


def signed_in(username: str, tenant: str = "demo") -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    client.post("/tenant/switch/", {"tenant": Tenant.objects.get(slug=tenant).pk, "next": "/"})
    return client


def demo_pages() -> list[str]:
    pages = [
        "/",
        "/subscribers/",
        "/devices/",
        "/devices/alerts/",
        "/devices/actions/",
        "/devices/actions/batches/",
        "/tickets/",
        "/billing/invoices/",
        "/billing/overdue/",
        "/billing/payments/",
        "/billing/payments/new/",
        "/billing/runs/",
        "/ipam/",
        "/ipam/subnets/",
        "/ipam/allocate/",
        "/account/",
        "/admin/",
        "/admin/portal/tenant/add/",
        f"/admin/portal/tenant/{Tenant.objects.get(slug='demo').pk}/history/",
    ]
    tenant = {"tenant__slug": "demo"}
    for model, path in (
        (Subscriber, "/subscribers/{}/"),
        (Subscriber, "/tickets/new/?subscriber={}"),
        (Cpe, "/devices/{}/"),
        (Ticket, "/tickets/{}/"),
        (Invoice, "/billing/invoices/{}/"),
        (Invoice, "/billing/invoices/{}/print/"),
        (BillingRun, "/billing/runs/{}/"),
        (DeviceAction, "/devices/actions/{}/"),
        (Subnet, "/ipam/subnets/{}/"),
    ):
        row = model.objects.filter(**tenant).order_by("pk").first()
        if row is not None:
            pages.append(path.format(row.pk))
    return pages


def test_every_page_has_the_policy_and_no_inline_code_for_it_to_refuse(demo):
    client = signed_in("admin")
    problems = {}
    for path in demo_pages():
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        rules = policy(response)
        if rules.get("script-src") != ["'self'"] or rules.get("style-src") != ["'self'"]:
            problems[path] = f"policy {response.headers.get('Content-Security-Policy')!r}"
            continue
        found = inline_code(response)
        if found.found or found.nonces:
            problems[path] = found.found + [f"nonce {n}" for n in found.nonces]
    assert problems == {}


def test_the_policy_of_an_ordinary_page(client):
    rules = policy(client.get("/login/"))
    assert rules == {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-hashes'", style_hash("border-top: 0")],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
    # Nothing in it lets injected markup run: no inline script, no eval, no inline style but that one.
    assert not any("unsafe-inline" in word or "unsafe-eval" in word for words in rules.values() for word in words)


def test_api_docs_run_only_their_own_start_up_script(client):
    """Swagger UI's one inline script carries this response's nonce; nothing else inline runs."""
    first, second = client.get("/api/docs/"), client.get("/api/docs/")
    assert first.status_code == second.status_code == 200
    nonces = []
    for response in (first, second):
        found = inline_code(response)
        assert found.found == []
        assert len(found.nonces) == 1
        assert policy(response)["script-src"] == ["'self'", f"'nonce-{found.nonces[0]}'"]
        assert policy(response)["style-src"] == ["'self'"]
        nonces.append(found.nonces[0])
    assert nonces[0] != nonces[1], "a nonce is per response, or it protects nothing"


def test_api_docs_lead_back_to_the_portal_and_say_where_tokens_come_from(client):
    html = client.get("/api/docs/").content.decode()
    assert 'id="back-to-portal"' in html and 'href="/"' in html
    assert "/api/v2/auth/login" in html  # portal users
    assert "create_api_client" in html and "/o/token/" in html  # integration clients
    assert "X-Tenant-ID" in html
    # Offline: every script and stylesheet is the portal's own.
    assert not re.search(r"""(src|href)=["']https?://""", html)
