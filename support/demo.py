"""Demo support tickets for ``manage.py seed_demo``: a few in every status, with comments and timelines.

Idempotent: a tenant that already has tickets gets none. Tickets go
through ``support.services`` so their events, timestamps and history look
like real work. Runs after the billing demo (INSTALLED_APPS order), on the
same first subscribers of each tenant.
"""

from __future__ import annotations

from typing import Any

from portal.models import Membership
from portal.roles import role_can
from subscribers.models import Subscriber

from . import services
from .choices import TicketPriority, TicketStatus
from .models import Ticket

# subject, description, priority, statuses walked through, [(comment, internal)]
SCRIPTS = [
    ("No internet since the storm", "ONT LOS light is red.", TicketPriority.URGENT, [], []),
    (
        "Wi-Fi drops every evening",
        "Laptop loses Wi-Fi around 20:00.",
        TicketPriority.NORMAL,
        [TicketStatus.PENDING],
        [("Asked the subscriber to try channel 36 on 5 GHz.", False)],
    ),
    (
        "Slow speed on the fibre plan",
        "Speed test shows 80 Mbit/s.",
        TicketPriority.HIGH,
        [TicketStatus.RESOLVED],
        [("Port was negotiated at 100 Mbit/s; replaced patch cord.", True), ("Fixed, please test again.", False)],
    ),
    (
        "Invoice address change",
        "New billing address from next month.",
        TicketPriority.LOW,
        [TicketStatus.RESOLVED, TicketStatus.CLOSED],
        [("Address updated.", False)],
    ),
    (
        "Phone line has no dial tone",
        "POTS port 1 silent.",
        TicketPriority.HIGH,
        [],
        [("SIP registration failing, checking credentials.", True)],
    ),
    ("Move service to a new flat", "Moving on the 1st.", TicketPriority.NORMAL, [TicketStatus.PENDING], []),
    (
        "Router reboot loop",
        "Router restarts every few minutes.",
        TicketPriority.URGENT,
        [TicketStatus.RESOLVED, TicketStatus.OPEN],
        [("Reopened: it happened again.", False)],
    ),
    ("Request for a static IP", "Needs one public IPv4.", TicketPriority.LOW, [TicketStatus.CLOSED], []),
]


def seed_tickets(tenant, subscribers: list[Subscriber], small: bool = False) -> int:
    if not subscribers or Ticket.objects.for_tenant(tenant).exists():
        return 0
    agents = [
        m.user
        for m in Membership.objects.filter(tenant=tenant).select_related("user").order_by("user__username")
        if role_can(m.role, "tickets.change")
    ]
    scripts = SCRIPTS if small else SCRIPTS * 3
    for index, (subject, description, priority, statuses, comments) in enumerate(scripts):
        agent = agents[index % len(agents)] if agents else None
        ticket = services.create_ticket(
            tenant,
            subject=subject,
            description=description,
            subscriber=subscribers[(index * 13) % len(subscribers)],
            priority=priority,
            assignee=agent if index % 4 else None,
            by=agent,
        )
        for body, internal in comments:
            services.add_comment(ticket, body=body, author=agent, internal=internal)
        for status in statuses:
            ticket = services.update_ticket(ticket, status=status, by=agent)
    return len(scripts)


def seed(tenants: dict[str, Any], stdout=None, small: bool = False) -> dict[str, dict[str, int]]:
    summary: dict[str, dict[str, int]] = {}
    for slug, tenant in tenants.items():
        subscribers = list(Subscriber.objects.for_tenant(tenant).order_by("id")[: 30 if small else None])
        summary[slug] = {"tickets": seed_tickets(tenant, subscribers, small=small)}
        if stdout is not None:
            stdout.write(f"  support/{slug}: {summary[slug]['tickets']} tickets")
    return summary
