"""ISPChamp v1 billing resources for the tenant-isolation walk (tests/test_tenant_isolation.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from billing import services
from billing.choices import PaymentMethod
from billing.models import Invoice
from tests.billing.helpers import subscribed
from tests.tenant_isolation import IsolatedResource, register


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


register(
    IsolatedResource(
        name="v1-invoices",
        create=_invoice,
        list_url="/api/v1/billing/invoices",
        detail_url=lambda row: f"/api/v1/billing/invoices/{row.pk}",
        methods=("GET",),
    )
)
register(
    IsolatedResource(
        name="v1-payments",
        create=_payment,
        list_url="/api/v1/billing/payments",
        detail_url=lambda row: f"/api/v1/billing/payments/{row.pk}",
        methods=("GET",),
    )
)
