"""ISPChamp v1 billing resources for the tenant-isolation walk (tests/test_tenant_isolation.py)."""

from __future__ import annotations

from datetime import date

from billing import services
from billing.models import Invoice
from tests.billing.helpers import pay_eur, subscribed
from tests.tenant_isolation import register_collection


def _invoice(tenant) -> Invoice:
    subscriber = subscribed(tenant, name="Isolation")
    services.run_billing(tenant, "2026-10")
    return Invoice.objects.get(subscriber=subscriber)


def _payment(tenant):
    subscriber = subscribed(tenant, name="Isolation")
    return pay_eur(tenant, subscriber, "10.00", date(2026, 11, 2)).payment


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
