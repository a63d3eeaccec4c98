"""IPAM rows: VRFs, pools, subnets and address allocations (all tenant-owned).

Addresses carry a ``key`` next to the displayed address (see
:mod:`network.ipam.addressing` for why a hex string). Changes go through
:mod:`network.ipam.services`; these classes only describe the rows.
"""

from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.db import models
from django.db.models import Q

from portal.models import TenantOwned

from .addressing import UsableSpace, parse_network
from .choices import LIVE_STATUSES, AllocationStatus, IpFamily, PoolPurpose


class Vrf(TenantOwned):
    """A routing table: address space in which (optionally) every address is unique."""

    name = models.CharField("name", max_length=100)
    rd = models.CharField("route distinguisher", max_length=32, blank=True, help_text="e.g. 65000:100")
    enforce_unique = models.BooleanField(
        "unique addresses", default=True, help_text="Refuse overlapping subnets (and so duplicate addresses)."
    )
    description = models.CharField("description", max_length=200, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "VRF"
        verbose_name_plural = "VRFs"
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="ipam_vrf_unique_name")]

    def __str__(self) -> str:
        return self.name


class Pool(TenantOwned):
    """Subnets handed out for one purpose (public static, CGNAT, PPPoE, management)."""

    name = models.CharField("name", max_length=100)
    vrf = models.ForeignKey(Vrf, on_delete=models.PROTECT, related_name="pools", verbose_name="VRF")
    purpose = models.CharField("purpose", max_length=20, choices=PoolPurpose.choices)
    alert_threshold = models.PositiveSmallIntegerField(
        "alert at (% used)", default=80, help_text="The dashboard warns when the pool's use passes this."
    )
    description = models.CharField("description", max_length=200, blank=True)
    created = models.DateTimeField("created", auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "pool"
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="ipam_pool_unique_name")]

    def __str__(self) -> str:
        return self.name


class Subnet(TenantOwned):
    """A prefix of a pool (IPv4 or IPv6), its gateway and its reserved ranges."""

    pool = models.ForeignKey(Pool, on_delete=models.PROTECT, related_name="subnets", verbose_name="pool")
    vrf = models.ForeignKey(Vrf, on_delete=models.PROTECT, related_name="subnets", verbose_name="VRF")
    cidr = models.CharField("CIDR", max_length=43)
    family = models.PositiveSmallIntegerField("IP version", choices=IpFamily.choices)
    first_key = models.CharField("first address key", max_length=32, editable=False)
    last_key = models.CharField("last address key", max_length=32, editable=False)
    gateway = models.GenericIPAddressField("gateway", null=True, blank=True)
    reserved = models.JSONField(
        "reserved ranges", default=list, blank=True, help_text='Addresses or "a-b" ranges never handed out.'
    )
    description = models.CharField("description", max_length=200, blank=True)
    # Where the next-free search starts: the address after the last one handed out. Sequential
    # allocation then costs one index probe, however full the subnet (see services.find_free).
    cursor_key = models.CharField("next-free cursor", max_length=32, blank=True, editable=False)
    created = models.DateTimeField("created", auto_now_add=True)

    class Meta:
        ordering = ["family", "first_key", "id"]
        verbose_name = "subnet"
        indexes = [models.Index(fields=["vrf", "family", "first_key"], name="ipam_subnet_vrf_range")]

    def __str__(self) -> str:
        return self.cidr

    @cached_property
    def network(self):
        return parse_network(self.cidr)

    @cached_property
    def space(self) -> UsableSpace:
        return UsableSpace.of(self.network, self.gateway, self.reserved or [])

    @property
    def capacity(self) -> int:
        return self.space.capacity


class Allocation(TenantOwned):
    """One address handed out from a subnet: to a subscriber, a CPE or a session, by someone, at a time."""

    subnet = models.ForeignKey(Subnet, on_delete=models.PROTECT, related_name="allocations", verbose_name="subnet")
    vrf = models.ForeignKey(Vrf, on_delete=models.PROTECT, related_name="allocations", verbose_name="VRF")
    address = models.GenericIPAddressField("address")
    key = models.CharField("address key", max_length=32, editable=False)
    status = models.CharField(
        "status", max_length=12, choices=AllocationStatus.choices, default=AllocationStatus.ALLOCATED
    )
    subscriber = models.ForeignKey(
        "subscribers.Subscriber",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ip_allocations",
        verbose_name="subscriber",
    )
    cpe = models.ForeignKey(
        "devices.Cpe",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ip_allocations",
        verbose_name="CPE",
    )
    session_id = models.CharField("session", max_length=64, blank=True, help_text="RADIUS Acct-Session-Id")
    description = models.CharField("description", max_length=200, blank=True)
    allocated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name="allocated by"
    )
    allocated_at = models.DateTimeField("allocated", auto_now_add=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name="released by"
    )
    released_at = models.DateTimeField("released", null=True, blank=True)
    quarantine_until = models.DateTimeField("quarantined until", null=True, blank=True)

    class Meta:
        ordering = ["key", "id"]
        verbose_name = "IP allocation"
        # The next-free search and the "is it taken" probe read the partial unique index below.
        indexes = [
            models.Index(fields=["vrf", "key"], name="ipam_alloc_vrf_key"),
            # Ending quarantines before each allocation reads only the quarantined rows.
            models.Index(
                fields=["subnet", "quarantine_until"],
                condition=Q(status=AllocationStatus.QUARANTINED),
                name="ipam_alloc_quarantine",
            ),
        ]
        constraints = [
            # The database's last word on "each address once": two live rows of one address in
            # one subnet cannot both commit, whatever the code above did.
            models.UniqueConstraint(
                fields=["subnet", "key"], condition=Q(status__in=LIVE_STATUSES), name="ipam_alloc_live_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.address} ({self.get_status_display()})"

    @property
    def assigned_to(self) -> str:
        if self.subscriber_id:
            return str(self.subscriber)
        if self.cpe_id:
            return str(self.cpe)
        return f"session {self.session_id}" if self.session_id else ""
