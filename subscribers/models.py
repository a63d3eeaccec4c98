"""Subscribers (Krill's "customers") and what hangs off them."""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from portal.models import TenantOwned

from .choices import SubscriberStatus


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
