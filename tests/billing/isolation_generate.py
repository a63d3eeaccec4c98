"""ISPChamp v1 "generate invoices" for the tenant-isolation walk: it names no row, so it is an IsolatedAction."""

from __future__ import annotations

from billing.models import Invoice
from tests.billing.helpers import subscribed
from tests.tenant_isolation import IsolatedAction, register_action

register_action(
    IsolatedAction(
        "v1-invoice-generate",
        "/api/v1/billing/invoices/generate",
        lambda tenant: subscribed(tenant, name="Isolation"),
        payload=lambda row: {"period": "2026-10"},
        untouched=lambda row: not Invoice.objects.filter(subscriber=row).exists(),
    )
)
