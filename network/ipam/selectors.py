"""Read queries of IPAM shared by the pages, the v1 API, the dashboard and the subscriber panel.

Use is counted in the database (one aggregate per list, not per row) and
divided by each subnet's capacity (usable addresses: the prefix minus
network, broadcast, gateway and reserved ranges), computed in Python.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When

from portal.inputs import parse_id

from .addressing import address_key, parse_network
from .choices import LIVE_STATUSES, AllocationStatus, PoolPurpose
from .models import Allocation, Pool, Subnet

LIVE = Q(allocations__status__in=LIVE_STATUSES)


@dataclass(frozen=True)
class Use:
    used: int
    capacity: int

    @property
    def percent(self) -> float:
        return round(100 * self.used / self.capacity, 1) if self.capacity else 100.0

    @property
    def free(self) -> int:
        return max(self.capacity - self.used, 0)

    def over(self, threshold: int) -> bool:
        """Whether a pool at this use has passed its alert threshold (an empty pool never has)."""
        return bool(self.capacity) and self.percent >= threshold


def with_use(subnets: QuerySet) -> QuerySet:
    """Subnets annotated with ``used`` (allocated + quarantined) and ``quarantined``."""
    return subnets.annotate(
        used=Count("allocations", filter=LIVE),
        quarantined=Count("allocations", filter=Q(allocations__status=AllocationStatus.QUARANTINED)),
    )


def subnet_use(subnet: Subnet) -> Use:
    used = getattr(subnet, "used", None)
    if used is None:
        used = subnet.allocations.filter(status__in=LIVE_STATUSES).count()
    return Use(used, subnet.capacity)


def pools_with_use(pools: QuerySet) -> QuerySet:
    """Pools with their subnets (annotated) prefetched: two queries for the whole list."""
    return pools.select_related("vrf").prefetch_related(
        Prefetch("subnets", queryset=with_use(Subnet.objects.select_related("vrf")).order_by("family", "first_key"))
    )


def pool_use(pool: Pool) -> Use:
    uses = [subnet_use(s) for s in pool.subnets.all()]
    return Use(sum(u.used for u in uses), sum(u.capacity for u in uses))


def subnets_containing(subnets: QuerySet, text: str) -> QuerySet:
    """Subnets that contain an address or a whole prefix; bad input matches nothing."""
    try:
        network = parse_network(text) if "/" in text else None
        first = address_key(network.network_address) if network else address_key(text)
        last = address_key(network.broadcast_address) if network else first
        version = network.version if network else (6 if ":" in text else 4)
    except ValueError:
        return subnets.none()
    return subnets.filter(family=version, first_key__lte=first, last_key__gte=last)


def search_allocations(allocations: QuerySet, text: str) -> QuerySet:
    """By address (exact, or a prefix of its text) or by the subscriber's name, surname or id."""
    text = text.strip()
    if not text:
        return allocations
    subscriber_id = parse_id(text)  # "²" passes isdigit() but is no id
    if subscriber_id is not None:
        return allocations.filter(Q(subscriber_id=subscriber_id) | Q(address__startswith=text))
    query = Q(address__startswith=text) | Q(description__icontains=text) | Q(session_id=text)
    for word in text.split()[:4]:
        query |= Q(subscriber__name__icontains=word) | Q(subscriber__surname__icontains=word)
    return allocations.filter(query)


def subscriber_allocations(subscriber) -> QuerySet:
    return (
        Allocation.objects.for_tenant(subscriber.tenant_id)
        .filter(subscriber=subscriber, status=AllocationStatus.ALLOCATED)
        .select_related("subnet__pool", "vrf")
        .order_by("subnet__family", "key")
    )


# What RADIUS may hand a subscriber's session, best first: a public static address before CGNAT/PPPoE.
FRAMED_RANK = Case(
    When(subnet__pool__purpose=PoolPurpose.PUBLIC_STATIC, then=Value(0)),
    When(subnet__pool__purpose=PoolPurpose.PPPOE_DYNAMIC, then=Value(1)),
    When(subnet__pool__purpose=PoolPurpose.CGNAT, then=Value(2)),
    default=Value(9),
    output_field=IntegerField(),
)


def framed_ip_address(subscriber) -> str | None:
    """The IPv4 address for RADIUS ``Framed-IP-Address`` (the AAA issue reads it); None: let the BNG pick."""
    return (
        subscriber_allocations(subscriber)
        .filter(subnet__family=4)
        .exclude(subnet__pool__purpose=PoolPurpose.MANAGEMENT)
        .annotate(rank=FRAMED_RANK)
        .order_by("rank", "allocated_at", "id")
        .values_list("address", flat=True)
        .first()
    )
