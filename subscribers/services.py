"""Business operations of the subscribers app: the only place that changes its rows.

- Krill customers and POTS lines (API v2);
- a subscriber's service status, with the :class:`~subscribers.models.ServiceEvent`
  the network side acts on;
- a ticket's workflow, with its :class:`~subscribers.models.TicketEvent` timeline.

Every change is audited through django-simple-history with the acting user and
a change reason. Errors a caller can cause are Django ``ValidationError`` with a
field and a code; the APIs turn them into 400s.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.dispatch import Signal
from django.utils import timezone

from portal.models import Membership, Tenant
from portal.roles import role_can

from .choices import (
    ServiceEventKind,
    ServiceEventReason,
    SubscriberStatus,
    TicketEventKind,
    TicketPriority,
    TicketStatus,
)
from .models import PotsLine, ServiceEvent, Subscriber, Ticket, TicketComment, TicketEvent

# Sent after a subscriber's status changed (inside the transaction), with
# ``subscriber``, ``old_status``, ``new_status``, ``by``. Billing listens to
# end subscriptions of a deactivated subscriber without this app importing billing.
subscriber_status_changed = Signal()

# Status change → what the network must do (None: nothing to provision).
_EVENT_FOR = {
    (SubscriberStatus.ACTIVE, SubscriberStatus.SUSPENDED): ServiceEventKind.SUSPEND,
    (SubscriberStatus.ACTIVE, SubscriberStatus.INACTIVE): ServiceEventKind.SUSPEND,
    (SubscriberStatus.SUSPENDED, SubscriberStatus.ACTIVE): ServiceEventKind.RESTORE,
    (SubscriberStatus.INACTIVE, SubscriberStatus.ACTIVE): ServiceEventKind.RESTORE,
}


def set_subscriber_status(
    subscriber: Subscriber,
    status: str,
    *,
    reason: str = ServiceEventReason.MANUAL,
    by=None,
    detail: str = "",
) -> ServiceEvent | None:
    """Move a subscriber to ``status``; records the network event and the audit trail.

    Idempotent: asking for the status it already has changes nothing and
    returns None. The row is locked so two concurrent changes serialize.
    """
    with transaction.atomic():
        locked = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        old = locked.status
        if old == status:
            subscriber.status = status
            return None
        locked.status = status
        locked._history_user = by
        locked._change_reason = f"{reason}: {detail}"[:100] if detail else reason
        locked.save(update_fields=["status", "updated"])
        kind = _EVENT_FOR.get((old, status))
        event = None
        if kind is not None:
            event = ServiceEvent.objects.create(
                tenant_id=locked.tenant_id,
                subscriber=locked,
                kind=kind,
                reason=reason,
                detail=detail[:255],
                triggered_by=by if getattr(by, "is_authenticated", False) else None,
            )
        subscriber_status_changed.send(sender=Subscriber, subscriber=locked, old_status=old, new_status=status, by=by)
    subscriber.status = locked.status
    subscriber.updated = locked.updated
    return event


def suspend_subscriber(subscriber: Subscriber, *, reason: str = ServiceEventReason.MANUAL, by=None, detail: str = ""):
    if subscriber.status == SubscriberStatus.INACTIVE:
        raise ValidationError(
            {"status": "A deactivated subscriber cannot be suspended; activate it first."}, code="invalid_transition"
        )
    return set_subscriber_status(subscriber, SubscriberStatus.SUSPENDED, reason=reason, by=by, detail=detail)


def activate_subscriber(subscriber: Subscriber, *, reason: str = ServiceEventReason.MANUAL, by=None, detail: str = ""):
    return set_subscriber_status(subscriber, SubscriberStatus.ACTIVE, reason=reason, by=by, detail=detail)


def deactivate_subscriber(subscriber: Subscriber, *, by=None, detail: str = ""):
    """Soft delete: the row, its history, invoices and tickets stay; the service goes down."""
    return set_subscriber_status(
        subscriber, SubscriberStatus.INACTIVE, reason=ServiceEventReason.MANUAL, by=by, detail=detail or "deactivated"
    )


def suspended_by_dunning(subscriber: Subscriber) -> bool:
    """True if the subscriber's current suspension came from dunning (not from an operator)."""
    last = (
        ServiceEvent.objects.filter(subscriber=subscriber, kind=ServiceEventKind.SUSPEND)
        .order_by("-created", "-id")
        .values_list("reason", flat=True)
        .first()
    )
    return subscriber.status == SubscriberStatus.SUSPENDED and last == ServiceEventReason.DUNNING


# --- tickets -----------------------------------------------------------------

# Closed is final; resolved may be reopened (the subscriber calls back).
TICKET_TRANSITIONS: dict[str, set[str]] = {
    TicketStatus.OPEN: {TicketStatus.PENDING, TicketStatus.RESOLVED, TicketStatus.CLOSED},
    TicketStatus.PENDING: {TicketStatus.OPEN, TicketStatus.RESOLVED, TicketStatus.CLOSED},
    TicketStatus.RESOLVED: {TicketStatus.OPEN, TicketStatus.CLOSED},
    TicketStatus.CLOSED: set(),
}


def validate_assignee(tenant, user) -> None:
    """An assignee must be a member of the ticket's tenant whose role works tickets."""
    if user is None:
        return
    role = Membership.objects.filter(tenant=tenant, user=user).values_list("role", flat=True).first()
    if role is None:
        raise ValidationError({"assignee": "The assignee is not a member of this tenant."}, code="invalid")
    if not role_can(role, "tickets.change"):
        raise ValidationError({"assignee": f"A {role} member cannot work tickets."}, code="invalid")


def validate_cpe(ticket_subscriber: Subscriber, cpe) -> None:
    if cpe is not None and cpe.customer_id not in (None, ticket_subscriber.pk):
        raise ValidationError({"cpe": "This CPE belongs to another subscriber."}, code="invalid")


def _actor(by):
    return by if getattr(by, "is_authenticated", False) else None


def create_ticket(
    tenant,
    *,
    subject: str,
    subscriber: Subscriber,
    description: str = "",
    priority: str = TicketPriority.NORMAL,
    cpe=None,
    assignee=None,
    by=None,
) -> Ticket:
    validate_assignee(tenant, assignee)
    validate_cpe(subscriber, cpe)
    with transaction.atomic():
        ticket = Ticket(
            tenant=tenant,
            subject=subject,
            description=description,
            subscriber=subscriber,
            priority=priority,
            cpe=cpe,
            assignee=assignee,
            created_by=_actor(by),
        )
        ticket._history_user = _actor(by)
        ticket.save()
        TicketEvent.objects.create(
            ticket=ticket, kind=TicketEventKind.CREATED, new_value=ticket.status, actor=_actor(by)
        )
    return ticket


_UNSET = object()


def update_ticket(
    ticket: Ticket,
    *,
    by=None,
    status: str | None = None,
    priority: str | None = None,
    assignee=_UNSET,
    subject: str | None = None,
    description: str | None = None,
) -> Ticket:
    """Change a ticket; each status/priority/assignee change becomes a TicketEvent."""
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        events: list[TicketEvent] = []
        now = timezone.now()
        if status is not None and status != locked.status:
            if status not in TICKET_TRANSITIONS[locked.status]:
                raise ValidationError(
                    {"status": f"A {locked.status} ticket cannot become {status}."}, code="invalid_transition"
                )
            events.append(TicketEvent(kind=TicketEventKind.STATUS, old_value=locked.status, new_value=status))
            locked.status = status
            if status == TicketStatus.RESOLVED:
                locked.resolved_at = now
            elif status == TicketStatus.CLOSED:
                locked.closed_at = now
                locked.resolved_at = locked.resolved_at or now
            else:  # reopened or waiting: no longer resolved
                locked.resolved_at = None
        if priority is not None and priority != locked.priority:
            events.append(TicketEvent(kind=TicketEventKind.PRIORITY, old_value=locked.priority, new_value=priority))
            locked.priority = priority
        if assignee is not _UNSET and assignee != locked.assignee:
            validate_assignee(locked.tenant_id, assignee)
            events.append(
                TicketEvent(
                    kind=TicketEventKind.ASSIGNEE,
                    old_value=locked.assignee.get_username() if locked.assignee else "",
                    new_value=assignee.get_username() if assignee else "",
                )
            )
            locked.assignee = assignee
        if subject is not None:
            locked.subject = subject
        if description is not None:
            locked.description = description
        locked._history_user = _actor(by)
        if events:
            locked._change_reason = ", ".join(
                f"{e.kind}: {e.old_value or '-'} -> {e.new_value or '-'}" for e in events
            )[:100]
        locked.save()
        for event in events:
            event.ticket = locked
            event.actor = _actor(by)
        TicketEvent.objects.bulk_create(events)
    return locked


def add_comment(ticket: Ticket, *, body: str, author=None, internal: bool = False) -> TicketComment:
    """Add a reply or an internal note; the first public reply stamps the first response."""
    if not body.strip():
        raise ValidationError({"body": "A comment needs some text."}, code="blank")
    with transaction.atomic():
        comment = TicketComment.objects.create(ticket=ticket, author=_actor(author), body=body, internal=internal)
        if not internal:
            # Conditional UPDATE: concurrent first replies keep the earliest stamp.
            Ticket.objects.filter(pk=ticket.pk, first_response_at__isnull=True).update(
                first_response_at=comment.created
            )
        Ticket.objects.filter(pk=ticket.pk).update(updated=timezone.now())
    ticket.refresh_from_db(fields=["first_response_at", "updated"])
    return comment


# --- Krill customers and POTS lines (API v2) ---------------------------------
def create_subscriber(*, tenant: Tenant, data: dict[str, Any]) -> Subscriber:
    return Subscriber.objects.create(tenant=tenant, **data)


def update_subscriber(subscriber: Subscriber, data: dict[str, Any]) -> Subscriber:
    for name, value in data.items():
        setattr(subscriber, name, value)
    subscriber.save()
    return subscriber


def next_pots_order(cpe) -> int:
    """The first free port/account number on a CPE (Krill numbers lines from 1)."""
    highest = PotsLine.objects.filter(cpe=cpe).aggregate(m=Max("order"))["m"]
    return (highest or 0) + 1


def generated_lineid(cpename: str, order: int) -> str:
    """Krill's line id when none is given: ``<cpename>-<order>`` (e.g. ``pim0074-2``)."""
    return f"{cpename}-{order}"


@transaction.atomic
def create_pots_line(*, tenant: Tenant, data: dict[str, Any]) -> PotsLine:
    data = dict(data)
    cpe = data["cpe"]
    if not data.get("order"):
        data["order"] = next_pots_order(cpe)
    if not data.get("lineid"):
        data["lineid"] = generated_lineid(cpe.cpename or str(cpe.pk), data["order"])
    return PotsLine.objects.create(tenant=tenant, **data)


def update_pots_line(line: PotsLine, data: dict[str, Any]) -> PotsLine:
    for name, value in data.items():
        setattr(line, name, value)
    if not line.lineid:
        line.lineid = generated_lineid(line.cpe.cpename or str(line.cpe_id), line.order)
    line.save()
    return line
