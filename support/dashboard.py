"""Dashboard tiles of the support app (registered in SupportConfig.ready)."""

from __future__ import annotations

from collections.abc import Iterable

from portal.dashboard import Tile

from .models import Ticket
from .selectors import OPEN_STATUSES


def ticket_tiles(tenant, role: str) -> Iterable[Tile]:
    open_tickets = Ticket.objects.for_tenant(tenant).filter(status__in=OPEN_STATUSES)
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
