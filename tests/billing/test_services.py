"""Billing runs, numbering, payments and dunning as the business sees them."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing import services
from billing.choices import BillingPeriod, InvoiceStatus, PaymentMethod
from billing.models import Invoice, InvoiceNumberSequence, Payment, Subscription
from billing.services import runs
from billing.tasks import run_dunning
from subscribers.choices import ServiceEventKind, ServiceEventReason, SubscriberStatus
from subscribers.models import ServiceEvent
from subscribers.services import deactivate_subscriber, suspend_subscriber
from tests.billing.helpers import make_plan, make_subscriber, pay_eur, subscribe, subscribed

NOV_ISSUE = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def pay(tenant, subscriber, amount, key="", body=None, on=date(2026, 12, 5)):
    body = body or {"subscriber": subscriber.pk, "amount": amount}
    return pay_eur(
        tenant,
        subscriber,
        amount,
        on,
        method=PaymentMethod.BANK_TRANSFER,
        reference="TRX-1",
        idempotency_key=key,
        fingerprint=services.request_fingerprint(body),
    )


class TestBillingRun:
    def test_one_invoice_per_subscriber_with_tax_and_numbers(self, tenant_a):
        plan = make_plan(tenant_a, price="30.00")
        subs = [subscribed(tenant_a, plan, name=f"S{i}") for i in range(3)]
        result = services.run_billing(tenant_a, "2026-11", now=NOV_ISSUE)
        assert (result.created, result.already_invoiced, result.skipped) == (3, 0, 0)
        invoices = list(Invoice.objects.order_by("number_seq"))
        assert [i.subscriber_id for i in invoices] == [s.pk for s in subs]
        assert [i.number for i in invoices] == ["2026/000001", "2026/000002", "2026/000003"]
        first = invoices[0]
        assert (first.subtotal, first.tax, first.total, first.currency) == (
            Decimal("30.00"),
            Decimal("6.00"),
            Decimal("36.00"),
            "EUR",
        )
        assert first.due_date == date(2026, 12, 15)
        assert first.status == InvoiceStatus.OPEN
        assert first.lines.get().days == 30

    def test_repeated_run_reports_already_invoiced(self, tenant_a):
        subscribed(tenant_a)
        services.run_billing(tenant_a, "2026-11", now=NOV_ISSUE)
        again = services.run_billing(tenant_a, "2026-11", now=NOV_ISSUE)
        assert (again.created, again.already_invoiced) == (0, 1)
        assert Invoice.objects.count() == 1
        assert InvoiceNumberSequence.objects.get(tenant=tenant_a, year=2026).last_number == 1

    def test_mid_period_start_and_end_are_prorated_by_day(self, tenant_a):
        plan = make_plan(tenant_a, price="30.00", tax_rate=Decimal("0"))
        late = subscribed(tenant_a, plan, start=date(2026, 11, 21))  # 10 of 30 days
        early = subscribed(tenant_a, plan, start=date(2026, 1, 1), end=date(2026, 11, 6))  # 6 days
        services.run_billing(tenant_a, "2026-11", now=NOV_ISSUE)
        assert Invoice.objects.get(subscriber=late).total == Decimal("10.00")
        assert Invoice.objects.get(subscriber=early).total == Decimal("6.00")

    def test_plan_change_mid_month_gives_two_lines(self, tenant_a):
        basic = make_plan(tenant_a, "basic", price="30.00", tax_rate=Decimal("0"))
        fast = make_plan(tenant_a, "fast", price="60.00", tax_rate=Decimal("0"))
        subscriber = make_subscriber(tenant_a)
        subscribe(subscriber, basic, date(2026, 1, 1), date(2026, 11, 15))
        subscribe(subscriber, fast, date(2026, 11, 16))
        services.run_billing(tenant_a, "2026-11", now=NOV_ISSUE)
        invoice = Invoice.objects.get(subscriber=subscriber)
        assert [line.amount for line in invoice.lines.all()] == [Decimal("15.00"), Decimal("30.00")]
        assert invoice.total == Decimal("45.00")

    def test_yearly_plan_is_spread_monthly(self, tenant_a):
        plan = make_plan(tenant_a, "yearly", price="120.00", billing_period=BillingPeriod.YEARLY, tax_rate=0)
        subscriber = subscribed(tenant_a, plan)
        services.run_billing(tenant_a, "2026-11", now=NOV_ISSUE)
        assert Invoice.objects.get(subscriber=subscriber).total == Decimal("10.00")

    def test_subscribers_without_subscription_are_skipped(self, tenant_a):
        make_subscriber(tenant_a)
        subscribed(tenant_a, start=date(2026, 12, 1))  # starts after the period
        result = services.run_billing(tenant_a, "2026-11", now=NOV_ISSUE)
        assert (result.created, result.skipped) == (0, 2)

    def test_numbers_are_per_tenant_and_year(self, tenant_a, tenant_b):
        subscribed(tenant_a)
        subscribed(tenant_b, make_plan(tenant_b))
        services.run_billing(tenant_a, "2026-11", now=NOV_ISSUE)
        services.run_billing(tenant_b, "2026-11", now=NOV_ISSUE)
        services.run_billing(tenant_a, "2026-12", now=datetime(2027, 1, 1, tzinfo=UTC))
        assert sorted(Invoice.objects.values_list("tenant__slug", "number")) == [
            ("alpha", "2026/000001"),
            ("alpha", "2027/000001"),
            ("bravo", "2026/000001"),
        ]

    def test_chunks_keep_numbers_gapless(self, tenant_a):
        plan = make_plan(tenant_a)
        for i in range(7):
            subscribed(tenant_a, plan, name=f"S{i}")
        result = services.run_billing(tenant_a, "2026-11", now=NOV_ISSUE, chunk_size=3)
        assert result.created == 7
        assert sorted(Invoice.objects.values_list("number_seq", flat=True)) == list(range(1, 8))

    def test_a_raced_chunk_is_recomputed_not_double_billed(self, tenant_a, monkeypatch):
        plan = make_plan(tenant_a)
        first = subscribed(tenant_a, plan, name="First")
        services.run_billing(tenant_a, "2026-11", now=NOV_ISSUE)
        subscribed(tenant_a, plan, name="Second")
        real = runs._already_invoiced
        calls = []

        def blind_once(*args):
            # The first look misses the existing invoice, as if a concurrent
            # issuer committed it just after: the constraint must catch it.
            calls.append(args)
            return set() if len(calls) == 1 else real(*args)

        monkeypatch.setattr(runs, "_already_invoiced", blind_once)
        result = services.run_billing(tenant_a, "2026-11", now=NOV_ISSUE)
        assert len(calls) == 2
        assert (result.created, result.already_invoiced) == (1, 1)
        assert Invoice.objects.filter(subscriber=first).count() == 1
        assert sorted(Invoice.objects.values_list("number_seq", flat=True)) == [1, 2]

    def test_bad_period_is_a_validation_error(self, tenant_a):
        with pytest.raises(ValidationError):
            services.run_billing(tenant_a, "November")

    def test_deactivation_ends_the_subscription(self, tenant_a):
        subscriber = subscribed(tenant_a)
        deactivate_subscriber(subscriber)
        assert Subscription.objects.get(subscriber=subscriber).end_date is not None


class TestPayments:
    def test_payment_settles_oldest_invoice_first(self, tenant_a):
        subscriber = subscribed(tenant_a)
        services.run_billing(tenant_a, "2026-10", now=datetime(2026, 11, 1, tzinfo=UTC))
        services.run_billing(tenant_a, "2026-11", now=NOV_ISSUE)
        result = pay(tenant_a, subscriber, "50.00")
        october, november = Invoice.objects.order_by("period_start")
        assert (october.status, october.amount_paid) == (InvoiceStatus.PAID, Decimal("36.00"))
        assert (november.status, november.amount_paid) == (InvoiceStatus.OPEN, Decimal("14.00"))
        assert result.payment.unapplied == Decimal("0.00")
        assert services.subscriber_balance(subscriber) == {"EUR": Decimal("-22.00")}

    def test_overpayment_is_credit_for_the_next_invoice(self, tenant_a):
        subscriber = subscribed(tenant_a)
        pay(tenant_a, subscriber, "100.00")
        services.run_billing(tenant_a, "2026-11", now=NOV_ISSUE)
        services.run_dunning(tenant_a, today=date(2026, 12, 2))  # applies waiting credit
        assert Invoice.objects.get().status == InvoiceStatus.PAID
        assert Payment.objects.get().unapplied == Decimal("64.00")
        assert services.subscriber_balance(subscriber) == {"EUR": Decimal("64.00")}

    def test_same_key_same_body_returns_the_first_payment(self, tenant_a):
        subscriber = subscribed(tenant_a)
        first = pay(tenant_a, subscriber, "10.00", key="k-1")
        again = pay(tenant_a, subscriber, "10.00", key="k-1")
        assert (first.replayed, again.replayed) == (False, True)
        assert again.payment.pk == first.payment.pk
        assert Payment.objects.count() == 1

    def test_same_key_other_body_is_a_conflict(self, tenant_a):
        subscriber = subscribed(tenant_a)
        pay(tenant_a, subscriber, "10.00", key="k-1")
        with pytest.raises(services.IdempotencyConflict):
            pay(tenant_a, subscriber, "11.00", key="k-1")

    def test_keys_are_per_tenant(self, tenant_a, tenant_b):
        pay(tenant_a, subscribed(tenant_a), "10.00", key="k-1")
        pay(tenant_b, subscribed(tenant_b, make_plan(tenant_b)), "10.00", key="k-1")
        assert Payment.objects.count() == 2


class TestDunning:
    def overdue_subscriber(self, tenant, days_ago: int = 45):
        """A subscriber with one 36.00 invoice issued ``days_ago`` (due 14 days later)."""
        subscriber = subscribed(tenant, start=date(2020, 1, 1))
        issued = datetime.now(UTC) - timedelta(days=days_ago)
        services.run_billing(tenant, issued.date(), now=issued)
        return subscriber

    def test_grace_period_then_suspension_with_event_and_history(self, tenant_a):
        tenant_a.dunning_grace_days = 10
        tenant_a.save()
        subscriber = self.overdue_subscriber(tenant_a)
        due = Invoice.objects.get().due_date
        assert services.run_dunning(tenant_a, today=due + timedelta(days=10)).suspended == 0  # within grace
        assert services.run_dunning(tenant_a, today=due + timedelta(days=11)).suspended == 1
        subscriber.refresh_from_db()
        assert subscriber.status == SubscriberStatus.SUSPENDED
        event = ServiceEvent.objects.get(subscriber=subscriber)
        assert (event.kind, event.reason, event.processed) == (ServiceEventKind.SUSPEND, "dunning", False)
        assert Invoice.objects.get().number in event.detail
        assert subscriber.history.first().history_change_reason.startswith("dunning")
        # Running again does not suspend twice.
        assert services.run_dunning(tenant_a, today=due + timedelta(days=12)).suspended == 0

    def test_payment_clearing_the_debt_restores(self, tenant_a, billing_user):
        subscriber = self.overdue_subscriber(tenant_a)
        services.run_dunning(tenant_a)
        pay(tenant_a, subscriber, "20.00")  # partial: still in arrears
        subscriber.refresh_from_db()
        assert subscriber.status == SubscriberStatus.SUSPENDED
        pay_eur(tenant_a, subscriber, "16.00", date(2026, 12, 11), by=billing_user)
        subscriber.refresh_from_db()
        assert subscriber.status == SubscriberStatus.ACTIVE
        restore = ServiceEvent.objects.filter(subscriber=subscriber).first()
        assert (restore.kind, restore.reason, restore.triggered_by) == (
            ServiceEventKind.RESTORE,
            ServiceEventReason.PAYMENT,
            billing_user,
        )
        assert subscriber.history.first().history_user == billing_user

    def test_manual_suspension_is_not_lifted_by_payment(self, tenant_a):
        subscriber = self.overdue_subscriber(tenant_a)
        suspend_subscriber(subscriber, detail="abuse report")
        pay(tenant_a, subscriber, "36.00")
        subscriber.refresh_from_db()
        assert subscriber.status == SubscriberStatus.SUSPENDED

    def test_dunning_task_runs_every_tenant(self, tenant_a, tenant_b, settings):
        subscriber = self.overdue_subscriber(tenant_a)
        assert run_dunning() == {"suspended": 1, "restored": 0}
        subscriber.refresh_from_db()
        assert subscriber.status == SubscriberStatus.SUSPENDED
        assert "billing-dunning" in settings.CELERY_BEAT_SCHEDULE
