"""Enumerations of the subscribers app."""

from django.db import models


class SubscriberStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    INACTIVE = "inactive", "Inactive"


class Dtmf(models.TextChoices):
    """DTMF transport of a POTS/SIP line (Krill's ``dtmf``)."""

    AUTO = "auto", "Auto"
    RFC2833 = "rfc2833", "RFC 2833"
    INBAND = "inband", "In-band"
    INFO = "info", "SIP INFO"


class ServiceEventKind(models.TextChoices):
    """What the network side must do to a subscriber's service."""

    SUSPEND = "suspend", "Suspend service"
    RESTORE = "restore", "Restore service"


class ServiceEventReason(models.TextChoices):
    DUNNING = "dunning", "Unpaid invoices (dunning)"
    PAYMENT = "payment", "Debt cleared by payment"
    MANUAL = "manual", "Operator or CRM request"
