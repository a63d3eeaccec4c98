"""Billing pages: invoices, overdue, payments (idempotent form), billing runs with polled progress."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest

from billing import services
from billing.forms import PaymentForm
from billing.models import BillingRun, Invoice, Payment
from billing.tasks import run_billing_period
from portal.choices import Role
from subscribers.choices import SubscriberStatus
from tests.billing.helpers import make_plan, subscribed

from .helpers import HTMX, assert_constant_queries, client_for

pytestmark = pytest.mark.django_db

LAST_MONTH = (date.today().replace(day=1) - timedelta(days=1)).replace(day=1)


@pytest.fixture
def invoiced(tenant_a):
    """Two subscribers invoiced for last month (one invoice each, due 14 days after issue)."""
    plan = make_plan(tenant_a)
    subscribers = [subscribed(tenant_a, plan, start=LAST_MONTH, name=n, surname="Wrona") for n in ("Ola", "Ula")]
    services.run_billing(tenant_a, LAST_MONTH)
    return subscribers


def make_overdue(tenant, days: int = 40) -> Invoice:
    invoice = Invoice.objects.filter(tenant=tenant).first()
    Invoice.objects.filter(pk=invoice.pk).update(due_date=date.today() - timedelta(days=days))
    return invoice


BILLING_VIEW_PAGES = ["/billing/", "/billing/invoices/", "/billing/overdue/", "/billing/payments/", "/billing/runs/"]


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("url", BILLING_VIEW_PAGES)
def test_every_role_reads_billing(role_users, role, url, invoiced):
    assert client_for(role_users[role]).get(url).status_code == 200


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.ADMIN, True), (Role.BILLING, True), (Role.NOC, False), (Role.SUPPORT, False), (Role.READONLY, False)],
)
def test_money_actions_are_for_billing_roles_only(role_users, role, allowed, invoiced):
    client = client_for(role_users[role])
    subscriber = invoiced[0]
    assert (client.get("/billing/payments/new/").status_code == 200) is allowed
    payments = client.get("/billing/payments/").content.decode()
    assert ('id="record-payment"' in payments) is allowed
    runs = client.get("/billing/runs/").content.decode()
    assert ('id="billing-run-form"' in runs) is allowed
    if not allowed:
        forged = client.post(
            "/billing/payments/new/",
            {
                "subscriber": subscriber.pk,
                "amount": "10.00",
                "currency": "EUR",
                "method": "cash",
                "received_on": date.today().isoformat(),
                "idempotency_key": str(uuid.uuid4()),
            },
        )
        assert forged.status_code == 403
        assert client.post("/billing/runs/new/", {"period": "2026-01"}).status_code == 403
        assert not Payment.objects.exists()
        assert BillingRun.objects.count() == 1  # the fixture's


def test_invoice_list_filters_and_answers_fragments(billing_user, invoiced, tenant_a):
    make_overdue(tenant_a)
    client = client_for(billing_user)
    html = client.get("/billing/invoices/?status=overdue").content.decode()
    assert html.count("Overdue</span>") == 1
    response = client.get("/billing/?q=Ula", **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="results"') and "Ula Wrona" in html and "Ola Wrona" not in html
    html = client.get(f"/billing/?period={LAST_MONTH:%Y-%m}").content.decode()
    assert "Ola Wrona" in html and "Ula Wrona" in html
    html = client.get("/billing/?period=1999-01").content.decode()
    assert "No invoice matches" in html


def test_invoice_list_query_count_does_not_grow(billing_user, tenant_a):
    plan = make_plan(tenant_a)

    def grow(n):
        for i in range(n):
            subscribed(tenant_a, plan, start=LAST_MONTH, name=f"S{Invoice.objects.count()}-{i}")
        services.run_billing(tenant_a, LAST_MONTH)

    assert_constant_queries(client_for(billing_user), "/billing/invoices/", grow)


def test_invoice_detail_links_the_printable_page(noc_user, invoiced, tenant_a):
    invoice = Invoice.objects.filter(tenant=tenant_a).first()
    html = client_for(noc_user).get(f"/billing/invoices/{invoice.pk}/").content.decode()
    assert f"/billing/invoices/{invoice.pk}/print/" in html
    assert invoice.number in html and "Fibre 100" in html


def test_overdue_list_shows_grace_and_service(billing_user, invoiced, tenant_a):
    invoice = make_overdue(tenant_a)
    html = client_for(billing_user).get("/billing/overdue/").content.decode()
    assert invoice.number in html and "beyond grace" in html
    assert html.count("<tr>") == 2  # header + the one overdue invoice


def test_payment_form_records_once_and_restores_through_the_service(billing_user, invoiced, tenant_a):
    subscriber = invoiced[0]
    invoice = Invoice.objects.get(subscriber=subscriber)
    client = client_for(billing_user)
    html = client.get(f"/billing/payments/new/?subscriber={subscriber.pk}").content.decode()
    assert 'name="idempotency_key"' in html and 'type="hidden"' in html
    form = {
        "subscriber": subscriber.pk,
        "amount": str(invoice.total),
        "currency": "eur",
        "method": "bank_transfer",
        "received_on": date.today().isoformat(),
        "reference": "TX-1",
        "idempotency_key": str(uuid.uuid4()),
    }
    first = client.post("/billing/payments/new/", form)
    assert first.status_code == 302 and first["Location"] == f"/subscribers/{subscriber.pk}/"
    second = client.post("/billing/payments/new/", form, follow=True)  # double submit
    assert "already recorded" in second.content.decode()
    assert Payment.objects.count() == 1
    payment = Payment.objects.get()
    assert payment.currency == "EUR" and payment.recorded_by == billing_user
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    # The same key with other values is a conflict, not a second payment.
    conflict = client.post("/billing/payments/new/", {**form, "amount": "1.00"})
    assert conflict.status_code == 409 and "already submitted" in conflict.content.decode()
    assert Payment.objects.count() == 1


def test_payment_form_refuses_another_tenants_subscriber(billing_user, tenant_b):
    foreign = subscribed(tenant_b, make_plan(tenant_b))
    client = client_for(billing_user)
    assert client.get(f"/billing/payments/new/?subscriber={foreign.pk}").status_code == 404
    response = client.post(
        "/billing/payments/new/",
        {
            "subscriber": foreign.pk,
            "amount": "5.00",
            "currency": "EUR",
            "method": "cash",
            "received_on": date.today().isoformat(),
            "idempotency_key": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert not Payment.objects.exists()


def test_billing_run_is_queued_after_commit_and_polled_until_done(
    billing_user, tenant_a, monkeypatch, django_capture_on_commit_callbacks
):
    plan = make_plan(tenant_a)
    for name in ("A", "B", "C"):
        subscribed(tenant_a, plan, start=LAST_MONTH, name=name)
    queued: list[int] = []
    monkeypatch.setattr("billing.services.runs.run_billing_period.delay", queued.append)
    client = client_for(billing_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/billing/runs/new/", {"period": f"{LAST_MONTH:%Y-%m}"})
    run = BillingRun.objects.get()
    assert response["Location"] == f"/billing/runs/{run.pk}/"
    assert queued == [run.pk]

    page = client.get(f"/billing/runs/{run.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in page
    progress = client.get(f"/billing/runs/{run.pk}/progress/", **HTMX)
    assert progress.status_code == 200
    assert "Subscribers with a plan" in progress.content.decode()

    # The worker's side: the thin task runs the service on the recorded run.
    result = run_billing_period(run.pk)
    assert result["created"] == 3
    progress = client.get(f"/billing/runs/{run.pk}/progress/", **HTMX)
    assert progress.status_code == 286  # htmx stops polling
    html = progress.content.decode()
    assert "Finished" in html and "hx-trigger" not in html
    # Redelivered: nothing happens twice.
    assert run_billing_period(run.pk)["skipped"] is True
    assert Invoice.objects.count() == 3


def test_billing_run_form_explains_a_bad_month(billing_user):
    response = client_for(billing_user).post("/billing/runs/new/", {"period": "soon"})
    assert response.status_code == 400
    assert "YYYY-MM" in response.content.decode()
    assert not BillingRun.objects.exists()


def test_another_tenants_billing_rows_are_not_found(billing_user, tenant_b):
    subscriber = subscribed(tenant_b, make_plan(tenant_b), start=LAST_MONTH)
    result = services.run_billing(tenant_b, LAST_MONTH)
    invoice = Invoice.objects.get(subscriber=subscriber)
    client = client_for(billing_user)
    for url in (
        f"/billing/invoices/{invoice.pk}/",
        f"/billing/invoices/{invoice.pk}/print/",
        f"/billing/runs/{result.run_id}/",
        f"/billing/runs/{result.run_id}/progress/",
    ):
        assert client.get(url).status_code == 404, url
    assert invoice.number not in client.get("/billing/invoices/").content.decode()


def test_balance_on_the_subscriber_page_follows_payments(billing_user, invoiced, tenant_a):
    subscriber = invoiced[0]
    invoice = Invoice.objects.get(subscriber=subscriber)
    html = client_for(billing_user).get(f"/subscribers/{subscriber.pk}/").content.decode()
    assert f"-{invoice.total}" in html and "owed by the subscriber" in html
    services.record_payment(
        tenant_a,
        subscriber=subscriber,
        amount=invoice.total + Decimal("5.00"),
        currency="EUR",
        method="cash",
        received_on=date.today(),
    )
    html = client_for(billing_user).get(f"/subscribers/{subscriber.pk}/").content.decode()
    assert "5.00 EUR" in html and "credit" in html
    assert subscriber.status == SubscriberStatus.ACTIVE


def test_payment_from_a_subscriber_page_is_preselected_in_their_currency(billing_user, tenant_a):
    subscriber = subscribed(tenant_a, make_plan(tenant_a, code="swiatlowod", currency="PLN"), name="Zofia")
    client = client_for(billing_user)
    html = client.get(f"/billing/payments/new/?subscriber={subscriber.pk}").content.decode()
    assert 'value="PLN"' in html and "Zofia Kowalski" in html and "Choose a subscriber" not in html
    response = client.post(
        "/billing/payments/new/",
        {
            "preselected": subscriber.pk,
            "subscriber": subscriber.pk,
            "amount": "50.00",
            "currency": "PLN",
            "method": "card",
            "received_on": date.today().isoformat(),
            "idempotency_key": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 302
    assert Payment.objects.get().currency == "PLN"


def test_payment_form_asks_for_a_number_when_a_drop_down_would_be_too_long(billing_user, tenant_a, monkeypatch):
    monkeypatch.setattr(PaymentForm, "SELECT_LIMIT", 1)
    for name in ("A", "B"):
        subscribed(tenant_a, make_plan(tenant_a), name=name)
    html = client_for(billing_user).get("/billing/payments/new/").content.decode()
    assert 'type="number" name="subscriber"' in html and "Subscriber number" in html
