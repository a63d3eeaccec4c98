"""Demo billing for ``manage.py seed_demo``: plans, subscriptions, a few months of invoices and payments.

Idempotent: plans are found by code, only subscribers without a subscription
get one, billing runs cannot double-bill (the per-period constraint), and
demo payments carry an Idempotency-Key per invoice, so running the seed
again adds only what is missing (e.g. the month that has passed since).
Works with whatever subscribers exist at the time (none → no billing data).
Some subscribers are left behind on purpose, so the demo shows overdue
invoices and dunning suspensions. Support tickets come from ``support.demo``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from subscribers.choices import SubscriberStatus
from subscribers.models import Subscriber

from . import services
from .choices import BillingPeriod, InvoiceStatus, PaymentMethod
from .models import Invoice, Plan, Subscription

MONTHS = 4  # months of history to invoice
# slug → currency and its plans: (code, name, price, period, tax %, down, up)
CATALOGUE: dict[str, tuple[str, list[tuple[str, str, str, str, str, int, int]]]] = {
    "demo": (
        "PLN",
        [
            ("fibre-300", "Światłowód 300", "69.00", BillingPeriod.MONTHLY, "23.00", 300, 50),
            ("fibre-1000", "Światłowód 1 Gb/s", "109.00", BillingPeriod.MONTHLY, "23.00", 1000, 300),
            ("radio-50", "Radio 50", "49.00", BillingPeriod.MONTHLY, "23.00", 50, 10),
            ("fibre-300-year", "Światłowód 300 (roczny)", "720.00", BillingPeriod.YEARLY, "23.00", 300, 50),
        ],
    ),
    "acme": (
        "EUR",
        [
            ("fibra-600", "Fibra 600", "35.00", BillingPeriod.MONTHLY, "21.00", 600, 600),
            ("fibra-1g", "Fibra 1 Gb", "45.00", BillingPeriod.MONTHLY, "21.00", 1000, 1000),
            ("lte-100", "4G/5G 100", "29.00", BillingPeriod.QUARTERLY, "21.00", 100, 20),
        ],
    ),
}


def _month_start(day: date, months_back: int) -> date:
    year, month = day.year, day.month - months_back
    while month <= 0:
        month += 12
        year -= 1
    return date(year, month, 1)


def _plans(tenant, slug: str) -> list[Plan]:
    currency, rows = CATALOGUE[slug]
    plans = []
    for code, name, price, period, tax, down, up in rows:
        plan, _ = Plan.objects.get_or_create(
            tenant=tenant,
            code=code,
            defaults={
                "name": name,
                "price": Decimal(price),
                "currency": currency,
                "billing_period": period,
                "tax_rate": Decimal(tax),
                "download_mbps": down,
                "upload_mbps": up,
            },
        )
        plans.append(plan)
    return plans


def _subscriptions(tenant, plans: list[Plan], subscribers: list[Subscriber], today: date) -> int:
    subscribed = set(
        Subscription.objects.for_tenant(tenant)
        .filter(subscriber__in=subscribers)
        .values_list("subscriber_id", flat=True)
    )
    first = _month_start(today, MONTHS)
    new = []
    for index, subscriber in enumerate(subscribers):
        if subscriber.pk in subscribed:
            continue
        # Most started before the demo history; every 5th mid-month (prorated first invoice).
        start = first + timedelta(days=(index * 7) % 27) if index % 5 == 0 else first - timedelta(days=200)
        end = None
        if subscriber.status == SubscriberStatus.INACTIVE:
            end = _month_start(today, 1) + timedelta(days=9)  # left last month: prorated last invoice
        new.append(
            Subscription(
                tenant=tenant,
                subscriber=subscriber,
                plan=plans[index % len(plans)],
                start_date=start,
                end_date=end if end is None or end >= start else start,
            )
        )
    Subscription.objects.bulk_create(new, batch_size=500)
    return len(new)


def _invoices(tenant, today: date) -> int:
    created = 0
    for back in range(MONTHS, 0, -1):
        period = _month_start(today, back)
        # Issued on the 1st of the following month, as a monthly run would have been.
        issued = datetime.combine(_month_start(today, back - 1), time(6, 0), tzinfo=UTC)
        created += services.run_billing(tenant, period, now=issued, trigger="seed_demo").created
    return created


def _payments(tenant, today: date) -> int:
    """Pay most invoices on time; every 7th subscriber stops paying, every 11th pays late."""
    recorded = 0
    invoices = (
        Invoice.objects.for_tenant(tenant)
        .filter(status=InvoiceStatus.OPEN)
        .select_related("subscriber")
        .order_by("subscriber_id", "period_start")
    )
    methods = [PaymentMethod.BANK_TRANSFER, PaymentMethod.DIRECT_DEBIT, PaymentMethod.CARD, PaymentMethod.CASH]
    for invoice in invoices:
        sid = invoice.subscriber_id
        if sid % 7 == 0:
            continue  # the debtor: dunning suspends them
        latest = invoice.period_start >= _month_start(today, 1)
        if latest and sid % 3 == 0:
            continue  # last month's invoice still open (not yet due or within grace)
        received = invoice.issued_at.date() + timedelta(days=(20 if sid % 11 == 0 else 5))
        if received > today:
            continue
        result = services.record_payment(
            tenant,
            subscriber=invoice.subscriber,
            amount=invoice.total,
            currency=invoice.currency,
            method=methods[sid % len(methods)],
            reference=f"DEMO {invoice.number}",
            received_on=received,
            idempotency_key=f"demo-{invoice.number}",
            fingerprint=services.request_fingerprint({"invoice": invoice.number}),
        )
        recorded += not result.replayed
    return recorded


def seed(tenants: dict[str, Any], stdout=None, small: bool = False) -> dict[str, dict[str, int]]:
    today = timezone.now().date()
    summary: dict[str, dict[str, int]] = {}
    for slug, tenant in tenants.items():
        if slug not in CATALOGUE:
            continue
        plans = _plans(tenant, slug)
        subscribers = list(Subscriber.objects.for_tenant(tenant).order_by("id")[: 30 if small else None])
        counts = {"plans": len(plans), "subscriptions": 0, "invoices": 0, "payments": 0}
        if subscribers:
            counts["subscriptions"] = _subscriptions(tenant, plans, subscribers, today)
            counts["invoices"] = _invoices(tenant, today)
            counts["payments"] = _payments(tenant, today)
            dunning = services.run_dunning(tenant, today=today)
            counts["suspended"] = dunning.suspended
        summary[slug] = counts
        if stdout is not None:
            stdout.write(
                f"  billing/{slug}: {counts['subscriptions']} subscriptions, {counts['invoices']} invoices, "
                f"{counts['payments']} payments, {counts.get('suspended', 0)} suspended by dunning"
            )
    return summary
