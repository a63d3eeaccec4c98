"""Browser journeys of NOC, support and billing staff through the subscriber, ticket and billing pages.

Each test logs in as a demo user (seed_demo --small) and saves screenshots of
the pages it visits under test-artifacts/e2e/.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from billing.models import BillingRun, Payment
from portal.models import Tenant
from subscribers.models import ServiceEvent, Subscriber
from support.models import Ticket

from .conftest import csrf_headers
from .tenant_switch import demo_then_acme, switch_tenant

pytestmark = pytest.mark.e2e


def demo_tenant(slug: str = "demo"):
    return Tenant.objects.get(slug=slug)


def test_noc_finds_a_subscriber_by_typing_part_of_a_name(page, demo_site, login, screenshot):
    # An active one: the page then offers "Suspend service" (a suspended one offers "Activate").
    target = Subscriber.objects.for_tenant(demo_tenant()).filter(status="active").order_by("id").first()
    fragment = target.surname[:5]
    login(page, "noc")
    switch_tenant(page, "Demo Fibre & Wireless")
    expect(page.locator("#dashboard-tiles")).to_be_visible()
    screenshot(page, "dashboard")

    page.get_by_role("link", name="Subscribers").click()
    expect(page.get_by_role("heading", name="Subscribers")).to_be_visible()
    expect(page.locator("#subscriber-table tbody tr").first).to_be_visible()
    screenshot(page, "subscribers-list")

    # Search as you type: no Enter, htmx swaps the results and pushes the URL.
    page.get_by_role("searchbox", name="Search").press_sequentially(fragment, delay=40)
    page.wait_for_url(re.compile(r"[?&]q="))
    rows = page.locator("#subscriber-table tbody tr")
    expect(rows.filter(has_text=target.surname).first).to_be_visible()
    for text in rows.all_inner_texts():
        assert fragment.lower() in text.lower()
    screenshot(page, "subscribers-search")

    rows.filter(has_text=target.surname).first.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name=str(target))).to_be_visible()
    expect(page.locator("#cpes")).to_be_visible()
    expect(page.locator("#tickets")).to_be_visible()
    # NOC may suspend and open tickets; recording money is billing's.
    expect(page.get_by_role("button", name="Suspend service")).to_be_visible()
    expect(page.get_by_role("link", name="Open ticket").first).to_be_visible()
    expect(page.get_by_role("link", name="Record payment")).to_have_count(0)
    screenshot(page, "subscriber-detail")

    # Keyboard: the first Tab reaches the skip link, which jumps to the content.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()

    # The same page on a NOC wall screen.
    page.set_viewport_size({"width": 2560, "height": 1440})
    screenshot(page, "subscriber-detail-wall", full_page=False)
    page.set_viewport_size({"width": 1366, "height": 768})

    # Nothing matches: the designed empty state, not a blank table.
    page.goto(demo_site.url + "/subscribers/?q=zzzz-nobody")
    expect(page.get_by_text("No subscriber matches")).to_be_visible()
    screenshot(page, "subscribers-empty")


def test_support_takes_an_unassigned_ticket_comments_and_resolves_it(page, demo_site, login, screenshot):
    login(page, "support")
    page.get_by_role("link", name="Tickets").click()
    expect(page.get_by_role("heading", name="Tickets")).to_be_visible()
    screenshot(page, "tickets-mine")

    page.locator('[data-queue="unassigned"]').click()
    rows = page.locator("#ticket-table tbody tr")
    expect(rows.first).to_be_visible()
    screenshot(page, "tickets-unassigned")
    ticket_id = int(rows.first.get_attribute("data-ticket"))
    rows.first.get_by_role("link").first.click()
    expect(page.locator("#ticket")).to_be_visible()

    page.get_by_role("button", name="Take it").click()
    expect(page.locator("#ticket-assignee")).to_have_text("Sam Support")
    page.get_by_label("Reply or note").fill("Checked the line from the OLT; the subscriber confirms it works now.")
    page.get_by_role("button", name="Add comment").click()
    expect(page.locator("#timeline")).to_contain_text("the subscriber confirms it works now")
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator("#ticket-status")).to_have_text("Resolved")
    screenshot(page, "ticket-detail")

    ticket = Ticket.objects.select_related("assignee").get(pk=ticket_id)
    assert ticket.status == "resolved" and ticket.assignee.username == "support"
    assert ticket.comments.filter(body__contains="confirms it works").exists()


def test_switching_tenant_shows_only_that_tenants_data(page, demo_site, login, screenshot):
    demo_subscriber = Subscriber.objects.for_tenant(demo_tenant()).order_by("id").first()
    acme_subscriber = Subscriber.objects.for_tenant(demo_tenant("acme")).order_by("id").first()
    acme_count = Subscriber.objects.for_tenant(demo_tenant("acme")).count()
    login(page, "noc")
    table = demo_then_acme(
        page, demo_site, "/subscribers/", "#subscriber-table", demo_subscriber.surname, acme_subscriber.surname
    )
    expect(table.locator("tbody tr")).to_have_count(min(acme_count, 25))
    screenshot(page, "subscribers-acme")

    # The other tenant's subscriber is "not found", exactly like a missing one.
    assert demo_site.go(page, f"/subscribers/{demo_subscriber.pk}/").status == 404
    expect(page.get_by_text("Not found", exact=False).first).to_be_visible()
    screenshot(page, "not-found")
    assert demo_site.go(page, f"/subscribers/{acme_subscriber.pk}/").status == 200


def test_forged_posts_for_what_a_role_may_not_do_are_refused(page, demo_site, login):
    subscriber = Subscriber.objects.for_tenant(demo_tenant()).filter(status="active").order_by("id").first()
    events_before = ServiceEvent.objects.count()

    # Support: no suspend button, and the server refuses the POST anyway.
    login(page, "support")
    demo_site.go(page, f"/subscribers/{subscriber.pk}/")
    expect(page.get_by_role("button", name="Suspend service")).to_have_count(0)
    response = page.request.post(
        f"{demo_site.url}/subscribers/{subscriber.pk}/status/",
        form={"action": "suspend", "detail": "forged"},
        headers=csrf_headers(page),
    )
    assert response.status == 403
    subscriber.refresh_from_db()
    assert subscriber.status == "active" and ServiceEvent.objects.count() == events_before

    # NOC: billing-only actions (record a payment, run billing) are refused.
    page.context.clear_cookies()
    login(page, "noc")
    demo_site.go(page, "/billing/payments/")
    expect(page.get_by_role("link", name="Record payment")).to_have_count(0)
    payments_before, runs_before = Payment.objects.count(), BillingRun.objects.count()
    response = page.request.post(
        f"{demo_site.url}/billing/payments/new/",
        form={
            "subscriber": str(subscriber.pk),
            "amount": "10.00",
            "currency": "EUR",
            "method": "cash",
            "received_on": date.today().isoformat(),
            "idempotency_key": "0b7e0a52-6f0e-4b8f-8d3c-1b2f3c4d5e6f",
        },
        headers=csrf_headers(page),
    )
    assert response.status == 403
    response = page.request.post(
        f"{demo_site.url}/billing/runs/new/", form={"period": "2030-01"}, headers=csrf_headers(page)
    )
    assert response.status == 403
    assert Payment.objects.count() == payments_before and BillingRun.objects.count() == runs_before


def test_billing_clerk_works_invoices_payments_and_a_billing_run(page, demo_site, login, screenshot, eager_celery):
    login(page, "billing")
    page.get_by_role("link", name="Billing").click()
    expect(page.locator("#invoice-table")).to_be_visible()
    screenshot(page, "billing-invoices")

    page.locator("#invoice-table tbody tr").first.get_by_role("link").first.click()
    expect(page.get_by_role("link", name="Printable invoice")).to_be_visible()
    screenshot(page, "billing-invoice-detail")

    page.get_by_role("link", name="Overdue").click()
    expect(page.get_by_role("heading", name="Overdue invoices")).to_be_visible()
    screenshot(page, "billing-overdue")

    page.get_by_role("link", name="Payments", exact=True).click()
    expect(page.locator("#payment-table")).to_be_visible()
    screenshot(page, "billing-payments")
    page.get_by_role("link", name="Record payment").click()
    expect(page.locator("#payment-form")).to_be_visible()
    screenshot(page, "billing-payment-form")

    # A month nobody was invoiced for yet: the run creates invoices and the page stops polling.
    next_month = (date.today().replace(day=28) + timedelta(days=7)).strftime("%Y-%m")
    page.get_by_role("link", name="Billing runs").click()
    page.get_by_label("Month to invoice").fill(next_month)
    page.get_by_role("button", name="Run billing").click()
    progress = page.locator("#run-progress")
    expect(progress).to_have_attribute("data-finished", "true")
    expect(progress).to_contain_text("Finished")
    run = BillingRun.objects.order_by("-id").first()
    assert run.finished_at is not None and run.created_count > 0
    expect(page.locator("#run-created")).to_have_text(str(run.created_count))
    screenshot(page, "billing-run")
