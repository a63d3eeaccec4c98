"""Builders for billing tests: a plan, a subscriber on it, issued invoices."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from billing import services
from billing.choices import PaymentMethod
from billing.models import Plan, Subscription
from subscribers.models import Subscriber


def make_plan(tenant, code: str = "fibre-100", price: str = "30.00", **extra) -> Plan:
    defaults = {
        "name": code.replace("-", " ").title(),
        "price": Decimal(price),
        "currency": "EUR",
        "tax_rate": Decimal("20.00"),
        "download_mbps": 100,
        "upload_mbps": 20,
    }
    defaults.update(extra)
    plan, _ = Plan.objects.get_or_create(tenant=tenant, code=code, defaults=defaults)
    return plan


def make_subscriber(tenant, name: str = "Jan", surname: str = "Kowalski", **extra) -> Subscriber:
    return Subscriber.objects.create(tenant=tenant, name=name, surname=surname, **extra)


def subscribe(subscriber, plan, start: date = date(2026, 1, 1), end: date | None = None) -> Subscription:
    return Subscription.objects.create(
        tenant_id=subscriber.tenant_id, subscriber=subscriber, plan=plan, start_date=start, end_date=end
    )


def subscribed(tenant, plan=None, start: date = date(2026, 1, 1), end: date | None = None, **extra) -> Subscriber:
    subscriber = make_subscriber(tenant, **extra)
    subscribe(subscriber, plan or make_plan(tenant), start, end)
    return subscriber


def pay_eur(tenant, subscriber, amount: str, received_on: date, method: str = PaymentMethod.CASH, **extra):
    """``services.record_payment`` of ``amount`` euros; ``extra`` as the service takes it (``by``, ``reference``)."""
    return services.record_payment(
        tenant,
        subscriber=subscriber,
        amount=Decimal(amount),
        currency="EUR",
        method=method,
        received_on=received_on,
        **extra,
    )
