"""Read queries of the ticket pages, the subscriber page's ticket panel and the ticket API."""

from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When

from devices.models import DeviceState

from .choices import TicketPriority, TicketStatus

OPEN_STATUSES = (TicketStatus.OPEN, TicketStatus.PENDING)

# Most urgent first in the queues.
PRIORITY_RANK = Case(
    When(priority=TicketPriority.URGENT, then=Value(0)),
    When(priority=TicketPriority.HIGH, then=Value(1)),
    When(priority=TicketPriority.NORMAL, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


def ticket_queue(tickets: QuerySet, queue: str, user) -> QuerySet:
    """One of the support queues: mine, unassigned, open (all open), priority (open, most urgent first), all."""
    if queue == "all":
        return tickets.order_by("-created", "-id")
    tickets = tickets.filter(status__in=OPEN_STATUSES)
    if queue == "mine":
        tickets = tickets.filter(assignee=user)
    elif queue == "unassigned":
        tickets = tickets.filter(assignee__isnull=True)
    if queue == "priority":
        return tickets.annotate(priority_rank=PRIORITY_RANK).order_by("priority_rank", "created", "id")
    # Oldest first: a queue is worked from its front.
    return tickets.order_by("created", "id")


def cpe_state_snapshot(cpe) -> str:
    """The CPE's latest polled state as plain text, for a ticket's internal note ("" if never polled).

    Support attaches it when a ticket is opened from a device page, so whoever
    picks the ticket up later sees what the device looked like at the time.
    """
    state = DeviceState.objects.filter(cpe=cpe).first()
    if state is None:
        return ""
    online = {True: "online", False: "OFFLINE", None: "not polled yet"}[state.online]
    lines = [
        f"Device state snapshot of {cpe} (SN {cpe.sn}, {cpe.model.name}):",
        f"- status: {online}" + (f", last seen {state.last_seen:%Y-%m-%d %H:%M} UTC" if state.last_seen else ""),
    ]
    if state.last_error:
        lines.append(f"- last error: {state.last_error}")
    if state.firmware:
        lines.append(f"- firmware: {state.firmware}")
    if state.uptime_s is not None:
        lines.append(f"- uptime: {state.uptime_s // 3600} h {state.uptime_s % 3600 // 60} min")
    if state.rx_dbm is not None:
        lines.append(f"- optical Rx/Tx: {state.rx_dbm:.1f} / {state.tx_dbm or 0:.1f} dBm")
    if state.rsrp is not None:
        lines.append(f"- cellular RSRP {state.rsrp:.0f} dBm, SINR {state.sinr or 0:.1f} dB, carrier {state.carrier}")
    for wan in state.wan or []:
        lines.append(
            f"- WAN {wan.get('name', '?')}: {'up' if wan.get('up') else 'down'} {wan.get('ip') or ''}".rstrip()
        )
    for line in state.sip or []:
        registered = "registered" if line.get("registered") else "NOT registered"
        lines.append(f"- SIP line {line.get('line', '?')}: {registered}")
    if state.client_count is not None:
        lines.append(f"- connected clients: {state.client_count}")
    return "\n".join(lines)
