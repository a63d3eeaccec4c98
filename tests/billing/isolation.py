"""ISPChamp v1 billing resources for the tenant-isolation walk (tests/test_tenant_isolation.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from billing import services
from billing.choices import PaymentMethod
from billing.models import Invoice
from tests.billing.helpers import subscribed
from tests.tenant_isolation import register_collection


def _invoice(tenant) -> Invoice:
    subscriber = subscribed(tenant, name="Isolation")
    services.run_billing(tenant, "2026-10")
    return Invoice.objects.get(subscriber=subscriber)


def _payment(tenant):
    subscriber = subscribed(tenant, name="Isolation")
    return services.record_payment(
        tenant,
        subscriber=subscriber,
        amount=Decimal("10.00"),
        currency="EUR",
        method=PaymentMethod.CASH,
        received_on=date(2026, 11, 2),
    ).payment


register_collection(
    "v1-invoices",
    _invoice,
    "/api/v1/billing/invoices",
    methods=("GET",),
)
register_collection(
    "v1-payments",
    _payment,
    "/api/v1/billing/payments",
    methods=("GET",),
)
