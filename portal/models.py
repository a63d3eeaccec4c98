"""Tenants, memberships, integration clients, and the tenant-owned base model."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F
from simple_history.models import HistoricalRecords

from .choices import ClientScope, Role


class TenantQuerySet(models.QuerySet):
    def for_tenant(self, tenant: Tenant | int):
        tenant_id = tenant if isinstance(tenant, int) else tenant.pk
        return self.filter(tenant_id=tenant_id)


def default_management_networks() -> list[str]:
    """What new tenants got until migration 0005 (kept for migration 0003, which names it).

    Every tenant received the same private ranges, which overlap one another's in the global
    routing domain: a second tenant created with them failed Tenant.clean().
    """
    return ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"]


class Tenant(models.Model):
    """An operator (ISP or brand) whose data is invisible to every other."""

    name = models.CharField("name", max_length=120)
    slug = models.SlugField("slug", max_length=50, unique=True)
    # Krill's "realm": the short label that prefixes generated CPE names.
    realm = models.SlugField("realm", max_length=20, blank=True)
    # Where this tenant's devices live. The portal refuses to connect to a
    # management address outside these networks (SSRF guard: a CRM that
    # writes a CPE's address must not make the portal call arbitrary hosts).
    # Empty by default: a new tenant reaches no device until an admin gives it its own
    # networks (they may not overlap another tenant's, see clean()).
    management_networks = models.JSONField(
        "management networks",
        default=list,
        blank=True,
        help_text="CIDRs the portal may contact devices in, e.g. 10.0.0.0/8",
    )
    # Tenants share the portal's one routing table unless an admin says a
    # tenant's devices sit in a routing domain (VRF) of their own: only then may
    # its management networks overlap another tenant's (see clean()).
    routing_domain = models.SlugField(
        "routing domain",
        max_length=50,
        blank=True,
        help_text="Blank: the shared global routing table. Tenants in the same routing domain may not have "
        "overlapping management networks; give a tenant its own routing domain only when its devices "
        "really are in a separate VRF.",
    )
    # Days past an invoice's due date before dunning suspends the subscriber.
    dunning_grace_days = models.PositiveIntegerField("dunning grace period (days)", default=14)
    created = models.DateTimeField("created", auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = "tenant"

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.realm:
            self.realm = self.slug[:20]
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        networks = parse_management_networks(self.management_networks)
        clashes = overlapping_networks(networks, self.routing_domain, exclude_pk=self.pk)
        if clashes:
            raise ValidationError(
                {
                    "management_networks": [
                        f"{mine} overlaps {theirs} of tenant {name} in the same routing domain "
                        f"({self.routing_domain or 'the global table'}): a device address must belong to one "
                        "tenant. Use disjoint networks, or give one tenant a routing domain of its own."
                        for mine, theirs, name in clashes
                    ]
                }
            )


def parse_management_networks(value) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """``Tenant.management_networks`` as networks; ValidationError naming what is not a CIDR."""
    if not isinstance(value, list) or not all(isinstance(cidr, str) for cidr in value):
        raise ValidationError({"management_networks": ['Enter a list of CIDRs, e.g. ["10.0.0.0/8"].']})
    networks, bad = [], []
    for cidr in value:
        try:
            networks.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError:
            bad.append(cidr)
    if bad:
        raise ValidationError({"management_networks": [f"{cidr!r} is not a CIDR, e.g. 10.0.0.0/8." for cidr in bad]})
    return networks


def overlapping_networks(
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network], routing_domain: str, *, exclude_pk: int | None = None
) -> list[tuple[str, str, str]]:
    """(ours, theirs, tenant name) for every overlap with another tenant of ``routing_domain``. One query."""
    others = Tenant.objects.filter(routing_domain=routing_domain)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    clashes = []
    for name, cidrs in others.values_list("name", "management_networks"):
        for theirs in cidrs if isinstance(cidrs, list) else []:
            try:
                other = ipaddress.ip_network(theirs, strict=False)
            except (TypeError, ValueError):
                continue
            clashes.extend((str(mine), str(other), name) for mine in networks if mine.overlaps(other))
    return clashes


class Membership(models.Model):
    """A user's role in one tenant. A user may belong to several tenants."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name="user"
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships", verbose_name="tenant")
    role = models.CharField("role", max_length=16, choices=Role.choices, default=Role.READONLY)
    # The tenant a user's request acts on when it names none (an API call without
    # X-Tenant-ID, the first page after login). Set through portal.tenancy.make_default,
    # which clears the user's other default in the same transaction.
    is_default = models.BooleanField(
        "default tenant",
        default=False,
        help_text="The tenant this user works in when a page or API call names none. One per user.",
    )

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "tenant"], name="membership_unique_user_tenant"),
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(is_default=True),
                name="membership_one_default_per_user",
                violation_error_message="This user already has a default tenant.",
            ),
        ]
        ordering = ["tenant__name"]
        verbose_name = "membership"

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant} ({self.get_role_display()})"

    def validate_constraints(self, exclude=None):
        # Ticking "default tenant" on a second membership (admin) is a change of default, not an
        # error: portal.tenancy.make_default clears the other one before saving. The database
        # constraint still refuses two defaults written any other way.
        super().validate_constraints(exclude={*(exclude or ()), "is_default"})


class IntegrationClient(models.Model):
    """An external system (CRM) using OAuth2 client credentials, bound to one tenant."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="integration_clients", verbose_name="tenant"
    )
    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="integration_client",
        verbose_name="OAuth2 application",
    )
    name = models.CharField("name", max_length=120)
    scope = models.CharField("scope", max_length=16, choices=ClientScope.choices, default=ClientScope.READ)
    # Which role's permissions the client acts with (scope still limits writes).
    role = models.CharField("role", max_length=16, choices=Role.choices, default=Role.ADMIN)
    created = models.DateTimeField("created", auto_now_add=True)

    objects = TenantQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["tenant__name", "name"]
        verbose_name = "integration client"

    def __str__(self) -> str:
        return f"{self.name} ({self.tenant})"


class TenantOwned(models.Model):
    """Abstract base of every domain row: it belongs to exactly one tenant.

    Querysets are scoped through ``Model.objects.for_tenant(t)`` by the tenant
    gate (portal.api.gate / portal.pages), never ad hoc in views.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+", verbose_name="tenant")

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


def acting_user(verbose_name: str, related_name: str = "+") -> models.ForeignKey:
    """The portal user who did something to a row (started, recorded, requested...).

    Optional, and kept as ``NULL`` when the user is deleted: the row's history
    outlives the people who made it.
    """
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name=related_name,
        verbose_name=verbose_name,
    )


class TaskDelivery(models.Model):
    """How many times a Celery task id has started without finishing.

    acks_late + reject_on_worker_lost redeliver a task whose worker died;
    this counter (see portal.celery.BoundedRedeliveryTask) stops a task that
    kills its worker every time from being redelivered forever.
    """

    task_id = models.CharField("task id", max_length=255, primary_key=True)
    task_name = models.CharField("task", max_length=255)
    count = models.PositiveIntegerField("deliveries", default=0)
    first_seen = models.DateTimeField("first delivery", auto_now_add=True)

    class Meta:
        verbose_name = "task delivery"
        verbose_name_plural = "task deliveries"

    def __str__(self) -> str:
        return f"{self.task_name}[{self.task_id}] x{self.count}"

    @classmethod
    def record(cls, task_id: str, task_name: str) -> int:
        with transaction.atomic():
            row, created = cls.objects.select_for_update().get_or_create(
                task_id=task_id, defaults={"task_name": task_name[:255], "count": 1}
            )
            if not created:
                cls.objects.filter(pk=task_id).update(count=F("count") + 1)
                row.refresh_from_db(fields=["count"])
        return row.count


class WorkerHeartbeat(models.Model):
    """Last time each Celery worker ran the heartbeat task (dashboard: are workers alive?)."""

    hostname = models.CharField("worker", max_length=255, primary_key=True)
    last_seen = models.DateTimeField("last seen")

    class Meta:
        ordering = ["-last_seen"]
        verbose_name = "worker heartbeat"

    def __str__(self) -> str:
        return f"{self.hostname} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"
