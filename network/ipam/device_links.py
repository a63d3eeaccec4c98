"""What IPAM gives devices (issue 12, "Links"); registered in ``apps.ready()`` through :mod:`devices.extensions`.

- ``ip_addresses`` on the Krill CPE record (a portal extension, answered
  only with ``attrs=...,ip_addresses``): the CPE's own allocations and its
  subscriber's, allocated ones only (a quarantined address is no longer
  theirs). One query for a whole page of CPEs.
- The static WAN address provisioning writes: the CPE's own live IPv4
  allocation in a ``public_static`` pool, else its subscriber's (one not
  assigned to another CPE of theirs); the oldest first. CGNAT, PPPoE and
  management pools never feed a static WAN: those addresses are the BNG's
  or the NOC's, not the subscriber's routed address.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db.models import Case, IntegerField, Q, Value, When
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from devices.extensions import StaticWan

from .choices import AllocationStatus, IpFamily, PoolPurpose
from .models import Allocation

FIELD_NAME = "ip_addresses"
LOADED = "_ipam_addresses"  # where prefetch_addresses leaves a CPE's rows


class CpeIpAddressSerializer(serializers.Serializer):
    address = serializers.IPAddressField(help_text="The address, e.g. 203.0.113.10.")
    vrf = serializers.CharField(help_text="The VRF's name.")
    pool = serializers.CharField(help_text="The pool's name.")
    purpose = serializers.ChoiceField(choices=PoolPurpose.choices, help_text="What the pool is for.")
    # A string, not an enum: "status" enums of other components would collide in the schema's names.
    status = serializers.CharField(help_text=f"One of {', '.join(AllocationStatus.values)} (live rows: allocated).")


def _row(allocation: Allocation) -> dict[str, Any]:
    pool = allocation.subnet.pool
    return {
        "address": allocation.address,
        "vrf": allocation.vrf.name,
        "pool": pool.name,
        "purpose": pool.purpose,
        "status": allocation.status,
    }


def prefetch_addresses(cpes: Sequence[Any]) -> None:
    """Load the addresses of every CPE of ``cpes`` in one query (IPv4 before IPv6, by address)."""
    cpes = [cpe for cpe in cpes if not hasattr(cpe, LOADED)]
    if not cpes:
        return
    wanted = Q(cpe_id__in={cpe.pk for cpe in cpes})
    subscriber_ids = {cpe.customer_id for cpe in cpes if cpe.customer_id}
    if subscriber_ids:
        wanted |= Q(subscriber_id__in=subscriber_ids)
    rows = (
        Allocation.objects.filter(tenant_id__in={cpe.tenant_id for cpe in cpes}, status=AllocationStatus.ALLOCATED)
        .filter(wanted)
        .select_related("subnet__pool", "vrf")
        .order_by("subnet__family", "key", "id")
    )
    by_cpe: dict[int, list[Allocation]] = defaultdict(list)
    by_subscriber: dict[int, list[Allocation]] = defaultdict(list)
    ordered: list[Allocation] = []
    for allocation in rows:
        ordered.append(allocation)
        if allocation.cpe_id:
            by_cpe[allocation.cpe_id].append(allocation)
        if allocation.subscriber_id:
            by_subscriber[allocation.subscriber_id].append(allocation)
    position = {allocation.pk: n for n, allocation in enumerate(ordered)}
    for cpe in cpes:
        mine = {a.pk: a for a in by_cpe.get(cpe.pk, ()) if a.tenant_id == cpe.tenant_id}
        for allocation in by_subscriber.get(cpe.customer_id, ()) if cpe.customer_id else ():
            if allocation.tenant_id == cpe.tenant_id:
                mine.setdefault(allocation.pk, allocation)
        setattr(cpe, LOADED, [_row(a) for a in sorted(mine.values(), key=lambda a: position[a.pk])])


@extend_schema_field(CpeIpAddressSerializer(many=True))
class CpeIpAddressesField(serializers.Field):
    """The CPE's and its subscriber's allocated addresses (read-only)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.update(source="*", read_only=True)
        kwargs.setdefault(
            "help_text",
            "Portal extension, answered only when named in `attrs`: the IPAM addresses allocated to this CPE "
            "and to its subscriber (address, VRF, pool, pool purpose, status).",
        )
        super().__init__(**kwargs)

    def to_representation(self, cpe: Any) -> list[dict[str, Any]]:
        if not hasattr(cpe, LOADED):
            prefetch_addresses([cpe])
        return getattr(cpe, LOADED)


OWN_FIRST = Case(When(cpe_id__isnull=False, then=Value(0)), default=Value(1), output_field=IntegerField())


def static_wan_of(cpe: Any) -> StaticWan | None:
    """The CPE's public static IPv4 address (its own allocation, else its subscriber's), or None."""
    whose = Q(cpe_id=cpe.pk)
    if cpe.customer_id:
        # The subscriber's address, unless it was given to another of their CPEs.
        whose |= Q(subscriber_id=cpe.customer_id, cpe__isnull=True)
    allocation = (
        Allocation.objects.filter(
            tenant_id=cpe.tenant_id,
            status=AllocationStatus.ALLOCATED,
            subnet__family=IpFamily.IPV4,
            subnet__pool__purpose=PoolPurpose.PUBLIC_STATIC,
        )
        .filter(whose)
        .select_related("subnet__pool")
        .order_by(OWN_FIRST, "allocated_at", "id")
        .first()
    )
    if allocation is None:
        return None
    subnet = allocation.subnet
    return StaticWan(
        address=allocation.address,
        prefix_length=subnet.network.prefixlen,
        gateway=subnet.gateway or "",
        source=f"IPAM allocation {allocation.address} of {subnet.cidr} in pool {subnet.pool.name}",
    )
