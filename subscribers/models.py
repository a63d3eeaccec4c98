"""Subscribers (Krill's "customers") and what hangs off them."""

# Krill records tell null ("not set") apart from "" for many text fields, and
# integrations rely on it, so those columns are nullable on purpose.
# ruff: noqa: DJ001

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from portal.crypto import EncryptedTextField
from portal.models import TenantOwned, acting_user

from .choices import (
    Dtmf,
    ServiceEventKind,
    ServiceEventReason,
    SubscriberStatus,
)


class Subscriber(TenantOwned):
    """A customer of the ISP. Krill calls it ``customer``; its API fields keep Krill's names."""

    name = models.CharField("first name", max_length=120)
    surname = models.CharField("surname", max_length=120, blank=True)
    address = models.CharField("address", max_length=255, blank=True)
    city = models.CharField("city", max_length=120, blank=True)
    country = models.CharField("country", max_length=80, blank=True, null=True)
    postalcode = models.CharField("postal code", max_length=20, blank=True, null=True)
    latitude = models.DecimalField("latitude", max_digits=9, decimal_places=6, blank=True, null=True)
    longitude = models.DecimalField("longitude", max_digits=9, decimal_places=6, blank=True, null=True)
    external_id = models.CharField("external id", max_length=100, blank=True, null=True, db_index=True)
    comment = models.TextField("comment", blank=True)
    email = models.EmailField("contact e-mail", blank=True)
    phone = models.CharField("contact phone", max_length=40, blank=True)
    status = models.CharField(
        "status", max_length=16, choices=SubscriberStatus.choices, default=SubscriberStatus.ACTIVE, db_index=True
    )
    created = models.DateTimeField("created", auto_now_add=True)
    updated = models.DateTimeField("updated", auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        verbose_name = "subscriber"
        indexes = [
            models.Index(fields=["tenant", "surname", "name"], name="subscriber_tenant_name"),
            models.Index(fields=["tenant", "status"], name="subscriber_tenant_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "external_id"],
                condition=models.Q(external_id__isnull=False) & ~models.Q(external_id=""),
                name="subscriber_unique_external_id_per_tenant",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.surname}".strip()

    @property
    def realm(self) -> str:
        """Krill's realm: the tenant's label (the same for every subscriber of a tenant)."""
        return self.tenant.realm


class PotsLine(TenantOwned):
    """A telephone line on a CPE (Krill's ``potses``): an ONT's FXS port or an IP phone's SIP account."""

    cpe = models.ForeignKey("devices.Cpe", on_delete=models.CASCADE, related_name="potses", verbose_name="CPE")
    order = models.PositiveSmallIntegerField("port / account number", default=1)
    # Krill generates "<cpename>-<order>" when not given (see subscribers.services).
    lineid = models.CharField("line id", max_length=80, blank=True)
    label = models.CharField("label", max_length=100, null=True, blank=True)
    cli = models.CharField("caller id (CLI)", max_length=40, null=True, blank=True)
    username = models.CharField("SIP username", max_length=128, null=True, blank=True)
    password = EncryptedTextField("SIP password", null=True, blank=True)
    context = models.CharField("dialplan context", max_length=80, null=True, blank=True)
    contextname = models.CharField("dialplan context name", max_length=120, null=True, blank=True)
    custom_digitmap = models.CharField("custom digit map", max_length=255, null=True, blank=True)
    dtmf = models.CharField("DTMF mode", max_length=8, choices=Dtmf.choices, default=Dtmf.AUTO)
    language = models.CharField("language", max_length=8, null=True, blank=True)
    pbx_extension = models.BooleanField("PBX extension", default=False)
    voicemail = models.BooleanField("voicemail", default=False)
    voicemail_password = EncryptedTextField("voicemail PIN", null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        verbose_name = "POTS line"
        constraints = [
            models.UniqueConstraint(fields=["cpe", "order"], name="potsline_unique_order_per_cpe"),
            models.UniqueConstraint(
                fields=["tenant", "lineid"], condition=~models.Q(lineid=""), name="potsline_unique_lineid_per_tenant"
            ),
        ]

    def __str__(self) -> str:
        return self.lineid or f"{self.cpe_id}-{self.order}"


# --- service events (billing issue) -------------------------------------------


class ServiceEvent(TenantOwned):
    """A change the network must apply to a subscriber's service (suspend/restore).

    Written in the same transaction as the subscriber's status change; the
    provisioning side picks up ``processed=False`` rows later. ``reason``
    and ``triggered_by``/``trigger`` record who or what asked for it.
    """

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.PROTECT, related_name="service_events", verbose_name="subscriber"
    )
    kind = models.CharField("kind", max_length=16, choices=ServiceEventKind.choices)
    reason = models.CharField("reason", max_length=16, choices=ServiceEventReason.choices)
    detail = models.CharField("detail", max_length=255, blank=True)
    triggered_by = acting_user("triggered by")
    processed = models.BooleanField("processed by the network", default=False)
    processed_at = models.DateTimeField("processed", null=True, blank=True)
    created = models.DateTimeField("created", auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = "service event"
        indexes = [models.Index(fields=["processed", "created"], name="serviceevent_pending")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.subscriber_id} ({self.reason})"
