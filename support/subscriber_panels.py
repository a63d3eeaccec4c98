"""What support adds to the subscriber page: the "Open ticket" button and the tickets panel."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from subscribers.models import Subscriber
from subscribers.panels import Panel, can

from .models import Ticket
from .selectors import OPEN_STATUSES

TEMPLATE = "support/subscriber_panels.html"


def _tickets(subscriber: Subscriber, request: HttpRequest) -> dict[str, Any]:
    tickets = Ticket.objects.for_tenant(subscriber.tenant_id).filter(subscriber=subscriber)
    return {
        "tickets": tickets.select_related("assignee").order_by("-created", "-id")[:10],
        "open_ticket_count": tickets.filter(status__in=OPEN_STATUSES).count(),
        "can_open_ticket": can(request, "tickets.change"),
    }


PANELS = (
    Panel("open-ticket", "Open ticket", f"{TEMPLATE}#open_ticket", lambda s, r: {}, "actions", 10, "tickets.change"),
    Panel("tickets", "Tickets", f"{TEMPLATE}#tickets", _tickets, "main", 30),
)
