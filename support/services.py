"""Business operations of the support app: a ticket's workflow, the only place that changes tickets.

Each status, priority or assignee change becomes a
:class:`~support.models.TicketEvent` (the ticket's timeline) and is audited
through django-simple-history with the acting user and a change reason.
Errors a caller can cause are Django ``ValidationError`` with a field and a
code; the API turns them into 400s and the pages into form errors.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from portal.models import Membership
from portal.roles import role_can
from subscribers.models import Subscriber

from .choices import TicketEventKind, TicketPriority, TicketStatus
from .models import Ticket, TicketComment, TicketEvent

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
