"""ISPChamp v1 billing routes: invoices, generate, payments (Idempotency-Key), and the printable invoice."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from billing import services
from billing.models import Invoice, Payment
from portal.choices import Role
from subscribers.choices import SubscriberStatus
from tests.billing.helpers import make_plan, make_subscriber, subscribed

pytestmark = pytest.mark.django_db


@pytest.fixture
def billing_api(api_as, billing_user, tenant_a):
    return api_as(billing_user, tenant_a)


def data(response):
    body = response.json()
    assert body["status"] == "success", body
    return body["data"]


class TestInvoices:
    def test_list_filters(self, billing_api, tenant_a):
        anna = subscribed(tenant_a, name="Anna")
        bob = subscribed(tenant_a, name="Bob")
        services.run_billing(tenant_a, "2026-09", now=datetime(2026, 10, 1, tzinfo=UTC))
        services.run_billing(tenant_a, "2026-10", now=datetime(2026, 11, 1, tzinfo=UTC))
        Invoice.objects.filter(subscriber=bob, period_start=date(2026, 9, 1)).update(status="paid")
        # Make October not yet due, so only September counts as overdue.
        Invoice.objects.filter(period_start=date(2026, 10, 1)).update(due_date=date.today() + timedelta(days=5))

        def numbers(**params):
            return sorted(i["number"] for i in data(billing_api.get("/api/v1/billing/invoices", params)))

        assert len(numbers()) == 4
        assert numbers(period="2026-09") == ["2026/000001", "2026/000002"]
        assert numbers(subscriber=anna.pk) == ["2026/000001", "2026/000003"]
        assert numbers(status="paid") == ["2026/000002"]
        assert numbers(overdue="true") == ["2026/000001"]
        assert len(numbers(overdue="false")) == 3
        listed = data(billing_api.get("/api/v1/billing/invoices/", {"period": "2026-09", "subscriber": anna.pk}))[0]
        assert listed["overdue"] is True
        assert (listed["total"], listed["currency"], listed["period"]) == ("36.00", "EUR", "2026-09")
        assert billing_api.get("/api/v1/billing/invoices", {"period": "Sept"}).status_code == 400

    def test_detail_has_lines_and_print_url(self, billing_api, tenant_a):
        subscriber = subscribed(tenant_a, start=date(2026, 10, 17))
        services.run_billing(tenant_a, "2026-10")
        invoice = Invoice.objects.get(subscriber=subscriber)
        body = data(billing_api.get(f"/api/v1/billing/invoices/{invoice.pk}"))
        assert body["number"] == invoice.number
        assert [(line["days"], line["period_days"], line["amount"]) for line in body["lines"]] == [(15, 31, "14.52")]
        assert body["print_url"].endswith(f"/billing/invoices/{invoice.pk}/print/")

    def test_missing_invoice_is_404_envelope(self, billing_api):
        response = billing_api.get("/api/v1/billing/invoices/999999")
        assert response.status_code == 404
        assert response.json() == {"status": "error", "error": {"detail": "Not found.", "code": "not_found"}}


class TestGenerate:
    def test_generate_then_again(self, billing_api, tenant_a):
        subscribed(tenant_a)
        subscribed(tenant_a)
        make_subscriber(tenant_a)  # nothing to bill
        first = data(billing_api.post("/api/v1/billing/invoices/generate", {"period": "2026-11"}, format="json"))
        assert (first["created"], first["already_invoiced"], first["skipped"]) == (2, 0, 1)
        again = data(billing_api.post("/api/v1/billing/invoices/generate/", {"period": "2026-11"}, format="json"))
        assert (again["created"], again["already_invoiced"], again["skipped"]) == (0, 2, 1)
        assert again["period_start"] == "2026-11-01"
        assert again["period_end"] == "2026-11-30"

    @pytest.mark.parametrize("period", ["2026-13", "11-2026", "", None])
    def test_invalid_period(self, billing_api, period):
        payload = {} if period is None else {"period": period}
        response = billing_api.post("/api/v1/billing/invoices/generate", payload, format="json")
        assert response.status_code == 400
        assert "period" in response.json()["error"]["errors"]

    @pytest.mark.parametrize(
        ("role", "allowed"),
        [(Role.ADMIN, True), (Role.BILLING, True), (Role.NOC, False), (Role.SUPPORT, False), (Role.READONLY, False)],
    )
    def test_who_may_bill(self, role, allowed, role_users, api_as, tenant_a):
        client = api_as(role_users[role], tenant_a)
        assert client.get("/api/v1/billing/invoices").status_code == 200  # everyone may view billing
        response = client.post("/api/v1/billing/invoices/generate", {"period": "2026-11"}, format="json")
        assert response.status_code == (200 if allowed else 403)


class TestPayments:
    def test_record_applies_to_oldest_and_lists(self, billing_api, billing_user, tenant_a):
        subscriber = subscribed(tenant_a)
        services.run_billing(tenant_a, "2026-09")
        services.run_billing(tenant_a, "2026-10")
        payload = {
            "subscriber": subscriber.pk,
            "amount": "50.00",
            "method": "bank_transfer",
            "reference": "TRX-9",
            "received_on": "2026-11-03",
        }
        response = billing_api.post("/api/v1/billing/payments", payload, format="json")
        assert response.status_code == 201, response.content
        payment = data(response)
        assert payment["currency"] == "EUR"  # taken from the subscriber's invoices
        assert [(a["invoice_number"], a["amount"]) for a in payment["allocations"]] == [
            ("2026/000001", "36.00"),
            ("2026/000002", "14.00"),
        ]
        assert Payment.objects.get().recorded_by == billing_user
        listed = data(billing_api.get("/api/v1/billing/payments/", {"subscriber": subscriber.pk}))
        assert [p["id"] for p in listed] == [payment["id"]]
        assert data(billing_api.get(f"/api/v1/billing/payments/{payment['id']}"))["reference"] == "TRX-9"

    def test_idempotency_key_replay_and_conflict(self, billing_api, tenant_a):
        subscriber = subscribed(tenant_a)
        payload = {"subscriber": subscriber.pk, "amount": "10.00", "currency": "EUR"}
        headers = {"HTTP_IDEMPOTENCY_KEY": "crm-42"}
        first = billing_api.post("/api/v1/billing/payments", payload, format="json", **headers)
        replay = billing_api.post("/api/v1/billing/payments", payload, format="json", **headers)
        assert first.status_code == replay.status_code == 201
        assert replay["Idempotent-Replayed"] == "true"
        assert data(replay) == data(first)
        assert Payment.objects.count() == 1
        other = billing_api.post("/api/v1/billing/payments", {**payload, "amount": "11.00"}, format="json", **headers)
        assert other.status_code == 409
        assert other.json()["error"]["code"] == "idempotency_conflict"
        assert Payment.objects.count() == 1
        # Without a key, each request is a new payment.
        billing_api.post("/api/v1/billing/payments", payload, format="json")
        assert Payment.objects.count() == 2

    def test_validation_errors(self, billing_api, tenant_a, tenant_b):
        subscriber = make_subscriber(tenant_a)
        foreign = make_subscriber(tenant_b)
        url = "/api/v1/billing/payments"
        cases = [
            ({"subscriber": subscriber.pk, "amount": "-5", "currency": "EUR"}, "amount"),
            ({"subscriber": subscriber.pk, "amount": "5", "currency": "euro"}, "currency"),
            ({"subscriber": subscriber.pk, "amount": "5"}, "currency"),  # no invoices to take it from
            ({"subscriber": foreign.pk, "amount": "5", "currency": "EUR"}, "subscriber"),
            ({"subscriber": subscriber.pk, "amount": "5", "currency": "EUR", "method": "gold"}, "method"),
        ]
        for payload, field in cases:
            response = billing_api.post(url, payload, format="json")
            assert response.status_code == 400, payload
            assert field in response.json()["error"]["errors"], (payload, response.json())
        assert Payment.objects.count() == 0

    def test_payment_restores_a_dunned_subscriber(self, billing_api, tenant_a):
        subscriber = subscribed(tenant_a, start=date(2020, 1, 1))
        issued = datetime.now(UTC) - timedelta(days=60)
        services.run_billing(tenant_a, issued.date(), now=issued)
        services.run_dunning(tenant_a)
        subscriber.refresh_from_db()
        assert subscriber.status == SubscriberStatus.SUSPENDED
        billing_api.post("/api/v1/billing/payments", {"subscriber": subscriber.pk, "amount": "36.00"}, format="json")
        subscriber.refresh_from_db()
        assert subscriber.status == SubscriberStatus.ACTIVE

    def test_read_only_roles_cannot_record(self, api_as, role_users, tenant_a):
        subscriber = subscribed(tenant_a)
        client = api_as(role_users[Role.NOC], tenant_a)
        payload = {"subscriber": subscriber.pk, "amount": "5", "currency": "EUR"}
        assert client.post("/api/v1/billing/payments", payload, format="json").status_code == 403
        assert client.get("/api/v1/billing/payments").status_code == 200


class TestPrintableInvoice:
    def test_page_shows_the_invoice(self, client, billing_user, tenant_a):
        subscriber = subscribed(tenant_a, address="Polna 1", city="Krakow")
        services.run_billing(tenant_a, "2026-11")
        invoice = Invoice.objects.get(subscriber=subscriber)
        client.force_login(billing_user)
        response = client.get(f"/billing/invoices/{invoice.pk}/print/")
        assert response.status_code == 200
        html = response.content.decode()
        assert invoice.number in html
        assert "Polna 1" in html
        assert "36.00 EUR" in html

    def test_login_required_and_tenant_gated(self, client, outsider, tenant_a):
        subscriber = subscribed(tenant_a)
        services.run_billing(tenant_a, "2026-11")
        url = f"/billing/invoices/{subscriber.invoices.get().pk}/print/"
        assert client.get(url).status_code == 302
        client.force_login(outsider)
        assert client.get(url).status_code == 404


def test_dashboard_shows_billing_tiles(client, admin_user, tenant_a):
    subscriber = subscribed(tenant_a)
    services.run_billing(tenant_a, "2026-10", now=datetime(2026, 11, 1, tzinfo=UTC))
    make_plan(tenant_a)
    client.force_login(admin_user)
    html = client.get("/").content.decode()
    assert "Overdue invoices" in html
    assert "Open tickets" in html
    assert subscriber.invoices.count() == 1
