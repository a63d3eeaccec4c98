"""Dashboard tiles of the billing side (registered in BillingConfig.ready)."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from portal.dashboard import Tile
from subscribers.choices import SubscriberStatus
from subscribers.models import Subscriber

from .choices import InvoiceStatus
from .models import Invoice


def billing_tiles(tenant, role: str) -> Iterable[Tile]:
    today = timezone.now().date()
    open_invoices = Invoice.objects.for_tenant(tenant).filter(status=InvoiceStatus.OPEN)
    overdue = open_invoices.filter(due_date__lt=today).count()
    yield Tile("invoices_open", "Open invoices", open_invoices.count(), url="/billing/?status=open", group="Billing")
    yield Tile(
        "invoices_overdue",
        "Overdue invoices",
        overdue,
        url="/billing/overdue/",
        tone="danger" if overdue else "success",
        group="Billing",
    )
    suspended = Subscriber.objects.for_tenant(tenant).filter(status=SubscriberStatus.SUSPENDED).count()
    yield Tile(
        "subscribers_suspended",
        "Suspended subscribers",
        suspended,
        url="/subscribers/?status=suspended",
        tone="warning" if suspended else "secondary",
        group="Billing",
    )
