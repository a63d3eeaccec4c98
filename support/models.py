"""Support tickets about subscribers (and their CPEs), their comments and timelines.

The tables were created by the subscribers app before support had its own
app; ``db_table`` keeps those names so moving the models lost no row (see
``support/migrations/0001_initial.py``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from portal.models import TenantOwned, acting_user
from subscribers.models import Subscriber

from .choices import TicketEventKind, TicketPriority, TicketStatus


class Ticket(TenantOwned):
    """A support case about a subscriber (and optionally one of their CPEs)."""

    subject = models.CharField("subject", max_length=200)
    description = models.TextField("description", blank=True)
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.PROTECT, related_name="tickets", verbose_name="subscriber"
    )
    cpe = models.ForeignKey(
        "devices.Cpe", on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets", verbose_name="CPE"
    )
    status = models.CharField(
        "status", max_length=16, choices=TicketStatus.choices, default=TicketStatus.OPEN, db_index=True
    )
    priority = models.CharField(
        "priority", max_length=16, choices=TicketPriority.choices, default=TicketPriority.NORMAL
    )
    assignee = acting_user("assignee", related_name="assigned_tickets")
    created_by = acting_user("created by")
    created = models.DateTimeField("created", auto_now_add=True)
    updated = models.DateTimeField("updated", auto_now=True)
    first_response_at = models.DateTimeField("first response", null=True, blank=True)
    resolved_at = models.DateTimeField("resolved", null=True, blank=True)
    closed_at = models.DateTimeField("closed", null=True, blank=True)

    history = HistoricalRecords(table_name="subscribers_historicalticket")

    class Meta:
        db_table = "subscribers_ticket"
        ordering = ["-created", "-id"]
        verbose_name = "ticket"
        indexes = [models.Index(fields=["tenant", "status", "priority"], name="ticket_tenant_status")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"


class TicketComment(models.Model):
    """A reply on a ticket; internal notes are for staff only."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments", verbose_name="ticket")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name="author"
    )
    body = models.TextField("comment")
    internal = models.BooleanField("internal note", default=False)
    created = models.DateTimeField("created", auto_now_add=True)

    class Meta:
        db_table = "subscribers_ticketcomment"
        ordering = ["created", "id"]
        verbose_name = "ticket comment"

    def __str__(self) -> str:
        return f"comment {self.pk} on ticket {self.ticket_id}"


class TicketEvent(models.Model):
    """One change of a ticket's status, assignee or priority: the ticket's timeline."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events", verbose_name="ticket")
    kind = models.CharField("kind", max_length=16, choices=TicketEventKind.choices)
    old_value = models.CharField("from", max_length=150, blank=True)
    new_value = models.CharField("to", max_length=150, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name="by"
    )
    created = models.DateTimeField("when", auto_now_add=True)

    class Meta:
        db_table = "subscribers_ticketevent"
        ordering = ["created", "id"]
        verbose_name = "ticket event"

    def __str__(self) -> str:
        return f"{self.kind}: {self.old_value} -> {self.new_value}"
