"""Dashboard tiles of the billing and support side (registered in BillingConfig.ready)."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from portal.dashboard import Tile


def billing_tiles(tenant, role: str) -> Iterable[Tile]:
    from subscribers.choices import SubscriberStatus, TicketStatus
    from subscribers.models import Subscriber, Ticket

    from .choices import InvoiceStatus
    from .models import Invoice

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
    open_tickets = Ticket.objects.for_tenant(tenant).filter(status__in=[TicketStatus.OPEN, TicketStatus.PENDING])
    tickets = open_tickets.count()
    unassigned = open_tickets.filter(assignee__isnull=True).count()
    yield Tile(
        "tickets_open",
        "Open tickets",
        tickets,
        url="/tickets/?queue=open",
        tone="warning" if tickets else "success",
        group="Support",
    )
    yield Tile(
        "tickets_unassigned",
        "Unassigned tickets",
        unassigned,
        url="/tickets/?queue=unassigned",
        tone="warning" if unassigned else "success",
        group="Support",
    )
