"""Enumerations of the support app: a ticket's status, priority and timeline entries."""

from django.db import models


class TicketStatus(models.TextChoices):
    OPEN = "open", "Open"
    PENDING = "pending", "Pending"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


class TicketPriority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class TicketEventKind(models.TextChoices):
    CREATED = "created", "Created"
    STATUS = "status", "Status changed"
    ASSIGNEE = "assignee", "Assignee changed"
    PRIORITY = "priority", "Priority changed"
