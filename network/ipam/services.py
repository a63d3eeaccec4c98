"""Business operations of IPAM: the only place that creates subnets and hands out or takes back addresses.

Allocation is atomic in the database. Every allocation in a subnet first
locks the subnet's row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite has
one writer at a time anyway), so two requests never see the same address as
free; a partial unique index on (subnet, key) of the live rows is the
backstop. The next-free search starts at the subnet's cursor and reads the
taken keys of a window at a time through that index, so it costs a probe or
two however full the subnet is, and never lists every address.

Errors a caller can cause are Django ``ValidationError`` with a field (400)
or :class:`AddressConflict` (409: the address is taken, the pool is full).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from .addressing import UsableSpace, address_key, key_of, number_of, parse_network, parse_range
from .choices import LIVE_STATUSES, AllocationStatus
from .models import Allocation, Pool, Subnet, Vrf

FIRST_WINDOW = 64
MAX_WINDOW = 4096


class AddressConflict(Exception):
    """The request clashes with the allocations as they are (answered 409)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _actor(by):
    return by if getattr(by, "is_authenticated", False) else None


# --- VRFs, pools, subnets ---------------------------------------------------------------------------


def create_vrf(tenant, *, name: str, rd: str = "", enforce_unique: bool = True, description: str = "") -> Vrf:
    if Vrf.objects.for_tenant(tenant).filter(name=name).exists():
        raise ValidationError({"name": f"A VRF named {name!r} exists already."}, code="unique")
    return Vrf.objects.create(tenant=tenant, name=name, rd=rd, enforce_unique=enforce_unique, description=description)


@dataclass(frozen=True)
class SubnetSpec:
    cidr: str
    gateway: str | None = None
    reserved: tuple[str, ...] = ()
    description: str = ""


def _validated_subnet(spec: SubnetSpec) -> tuple:
    try:
        network = parse_network(spec.cidr)
    except ValueError as exc:
        raise ValidationError({"cidr": str(exc)}, code="invalid") from exc
    if spec.gateway:
        try:
            gateway = ipaddress.ip_address(spec.gateway)
        except ValueError as exc:
            raise ValidationError({"gateway": f"{spec.gateway!r} is not an IP address."}, code="invalid") from exc
        if gateway not in network:
            raise ValidationError({"gateway": f"{gateway} is outside {network}."}, code="outside")
    for text in spec.reserved:
        try:
            parse_range(text, network)
        except ValueError as exc:
            raise ValidationError({"reserved": str(exc)}, code="invalid") from exc
    return network


def overlapping(vrf: Vrf, network) -> list[Subnet]:
    first, last = key_of(int(network.network_address)), key_of(int(network.broadcast_address))
    return list(
        Subnet.objects.filter(vrf=vrf, family=network.version, first_key__lte=last, last_key__gte=first).order_by(
            "first_key"
        )[:3]
    )


def add_subnet(pool: Pool, spec: SubnetSpec) -> Subnet:
    """A subnet in the pool's VRF; inside a unique VRF it must not overlap any other (any pool)."""
    network = _validated_subnet(spec)
    with transaction.atomic():
        # The VRF row's lock serializes subnet creation in it: two overlapping creations cannot both pass.
        vrf = Vrf.objects.select_for_update().get(pk=pool.vrf_id)
        if vrf.enforce_unique:
            clash = overlapping(vrf, network)
            if clash:
                raise ValidationError(
                    {"cidr": f"{network} overlaps {', '.join(s.cidr for s in clash)} in VRF {vrf.name}."},
                    code="overlap",
                )
        return Subnet.objects.create(
            tenant_id=pool.tenant_id,
            pool=pool,
            vrf=vrf,
            cidr=str(network),
            family=network.version,
            first_key=key_of(int(network.network_address)),
            last_key=key_of(int(network.broadcast_address)),
            gateway=spec.gateway or None,
            reserved=list(spec.reserved),
            description=spec.description,
        )


def create_pool(
    tenant,
    *,
    name: str,
    vrf: Vrf,
    purpose: str,
    subnets: list[SubnetSpec] = (),
    alert_threshold: int = 80,
    description: str = "",
) -> Pool:
    """A pool and its subnets in one transaction: a refused subnet leaves no pool behind."""
    if vrf.tenant_id != tenant.pk:
        raise ValidationError({"vrf": "No such VRF."}, code="does_not_exist")
    if Pool.objects.for_tenant(tenant).filter(name=name).exists():
        raise ValidationError({"name": f"A pool named {name!r} exists already."}, code="unique")
    with transaction.atomic():
        pool = Pool.objects.create(
            tenant=tenant,
            name=name,
            vrf=vrf,
            purpose=purpose,
            alert_threshold=alert_threshold,
            description=description,
        )
        for spec in subnets:
            try:
                add_subnet(pool, spec)
            except ValidationError as exc:
                raise ValidationError({"subnets": [f"{spec.cidr}: {m}" for m in exc.messages]}, code="invalid") from exc
    return pool


# --- next free --------------------------------------------------------------------------------------


def _taken_between(subnet: Subnet, lo: int, hi: int) -> list[int]:
    keys = (
        Allocation.objects.filter(subnet=subnet, status__in=LIVE_STATUSES, key__gte=key_of(lo), key__lte=key_of(hi))
        .order_by("key")
        .values_list("key", flat=True)
    )
    return [number_of(k) for k in keys]


def _first_free_in(subnet: Subnet, space: UsableSpace, start: int, end: int) -> int | None:
    """The first usable, untaken number in [start, end], reading taken keys a window at a time."""
    window = FIRST_WINDOW
    cursor = space.next_usable(start)
    while cursor is not None and cursor <= end:
        hi = min(end, cursor + window - 1)
        for number in _taken_between(subnet, cursor, hi):
            if number < cursor:
                continue
            if number > cursor:
                return cursor
            cursor = space.next_usable(cursor + 1)
            if cursor is None or cursor > hi:
                break
        else:
            return cursor
        window = min(window * 2, MAX_WINDOW)
    return None


def find_free(subnet: Subnet) -> int | None:
    """From the cursor to the end, then from the start to the cursor (released addresses come back)."""
    space = subnet.space
    start = number_of(subnet.cursor_key) if subnet.cursor_key else space.first
    found = _first_free_in(subnet, space, start, space.last)
    if found is None and start > space.first:
        found = _first_free_in(subnet, space, space.first, start - 1)
    return found


def _end_quarantine(subnet: Subnet) -> None:
    Allocation.objects.filter(
        subnet=subnet, status=AllocationStatus.QUARANTINED, quarantine_until__lte=timezone.now()
    ).update(status=AllocationStatus.RELEASED)


@dataclass(frozen=True)
class Assignment:
    """Whom an address is for (any of them, or none: a description alone is allowed)."""

    subscriber: object | None = None
    cpe: object | None = None
    session_id: str = ""
    description: str = ""


def _check_assignment(tenant, assignment: Assignment) -> None:
    for field_name in ("subscriber", "cpe"):
        row = getattr(assignment, field_name)
        if row is not None and row.tenant_id != tenant.pk:
            raise ValidationError({field_name: "No such object."}, code="does_not_exist")


def _insert(subnet: Subnet, number: int, assignment: Assignment, by) -> Allocation:
    # No savepoint: a unique violation (the backstop) fails the whole allocation anyway.
    try:
        return Allocation.objects.create(
            tenant_id=subnet.tenant_id,
            subnet=subnet,
            vrf_id=subnet.vrf_id,
            address=str(ipaddress.ip_address(number)),
            key=key_of(number),
            subscriber=assignment.subscriber,
            cpe=assignment.cpe,
            session_id=assignment.session_id,
            description=assignment.description,
            allocated_by=_actor(by),
        )
    except IntegrityError as exc:
        raise AddressConflict(f"{ipaddress.ip_address(number)} is already allocated.", "address_taken") from exc


def _lock(subnet: Subnet) -> Subnet:
    return Subnet.objects.select_for_update().get(pk=subnet.pk)


def _allocate_next(subnets: list[Subnet], assignment: Assignment, by) -> Allocation | None:
    for candidate in subnets:
        subnet = _lock(candidate)
        _end_quarantine(subnet)
        number = find_free(subnet)
        if number is None:
            continue
        allocation = _insert(subnet, number, assignment, by)
        nxt = subnet.space.next_usable(number + 1)
        Subnet.objects.filter(pk=subnet.pk).update(cursor_key=key_of(nxt) if nxt is not None else "")
        return allocation
    return None


def _subnet_for_address(subnets: list[Subnet], address: str) -> tuple[Subnet, int]:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError as exc:
        raise ValidationError({"address": f"{address!r} is not an IP address."}, code="invalid") from exc
    key = address_key(ip)
    for subnet in subnets:
        if subnet.family == ip.version and subnet.first_key <= key <= subnet.last_key:
            return subnet, int(ip)
    where = subnets[0].cidr if len(subnets) == 1 else "any subnet of the pool"
    raise ValidationError({"address": f"{ip} is outside {where}."}, code="outside")


def _allocate_address(subnets: list[Subnet], address: str, assignment: Assignment, by) -> Allocation:
    subnet, number = _subnet_for_address(subnets, address)
    ip = ipaddress.ip_address(number)
    if subnet.space.is_excluded(number):
        kind = "the gateway" if subnet.gateway and ipaddress.ip_address(subnet.gateway) == ip else "not assignable"
        raise ValidationError(
            {"address": f"{ip} is {kind} in {subnet.cidr} (network, broadcast, gateway or reserved)."},
            code="reserved",
        )
    subnet = _lock(subnet)
    _end_quarantine(subnet)
    live = Allocation.objects.filter(subnet=subnet, key=key_of(number), status__in=LIVE_STATUSES).first()
    if live is not None:
        state = "in quarantine" if live.status == AllocationStatus.QUARANTINED else "already allocated"
        raise AddressConflict(f"{ip} is {state} (allocation {live.pk}).", "address_taken")
    return _insert(subnet, number, assignment, by)


def allocate(
    tenant,
    *,
    pool: Pool | None = None,
    subnet: Subnet | None = None,
    address: str | None = None,
    family: int | None = None,
    assignment: Assignment = Assignment(),
    by=None,
) -> Allocation:
    """The next free address of a pool or subnet, or one specific address of it."""
    if (pool is None) == (subnet is None):
        raise ValidationError({"pool": "Give a pool or a subnet (one of them)."}, code="required")
    owner = pool or subnet
    if owner.tenant_id != tenant.pk:
        raise ValidationError({"pool" if pool else "subnet": "No such object."}, code="does_not_exist")
    _check_assignment(tenant, assignment)
    subnets = [subnet] if subnet is not None else list(pool.subnets.order_by("family", "first_key", "id"))
    if family:
        subnets = [s for s in subnets if s.family == family]
    if not subnets:
        raise ValidationError({"pool": f"Pool {owner} has no {f'IPv{family} ' if family else ''}subnet."}, code="empty")
    with transaction.atomic():
        if address:
            return _allocate_address(subnets, address, assignment, by)
        allocation = _allocate_next(subnets, assignment, by)
    if allocation is None:
        total = sum(s.capacity for s in subnets)
        raise AddressConflict(
            f"{owner} is exhausted: all {total} usable addresses are allocated or in quarantine.", "exhausted"
        )
    return allocation


# --- release ----------------------------------------------------------------------------------------


def quarantine_seconds() -> int:
    return int(getattr(settings, "NOC_IPAM_QUARANTINE_SECONDS", 86400))


def _release_row(allocation: Allocation, by) -> Allocation:
    locked = Allocation.objects.select_for_update().get(pk=allocation.pk)
    if locked.status != AllocationStatus.ALLOCATED:
        return locked  # released twice: the first release stands
    now = timezone.now()
    hold = quarantine_seconds()
    locked.status = AllocationStatus.QUARANTINED if hold > 0 else AllocationStatus.RELEASED
    locked.quarantine_until = now + timedelta(seconds=hold) if hold > 0 else None
    locked.released_at = now
    locked.released_by = _actor(by)
    locked.save(update_fields=["status", "quarantine_until", "released_at", "released_by"])
    return locked


def release(tenant, *, allocation: Allocation | None = None, address: str = "", vrf: Vrf | None = None, by=None):
    """Take an address back into quarantine; idempotent (a second release answers the same row)."""
    with transaction.atomic():
        if allocation is not None:
            if allocation.tenant_id != tenant.pk:
                raise ValidationError({"allocation": "No such allocation."}, code="does_not_exist")
            return _release_row(allocation, by)
        if not address or vrf is None:
            raise ValidationError({"address": "Give an allocation id, or an address and its VRF."}, code="required")
        try:
            key = address_key(address.strip())
        except ValueError as exc:
            raise ValidationError({"address": f"{address!r} is not an IP address."}, code="invalid") from exc
        rows = Allocation.objects.for_tenant(tenant).filter(vrf=vrf, key=key)
        live = list(rows.filter(status=AllocationStatus.ALLOCATED)[:2])
        if len(live) > 1:
            raise ValidationError(
                {"address": f"{address} is allocated more than once in VRF {vrf}; give the allocation id."},
                code="ambiguous",
            )
        if live:
            return _release_row(live[0], by)
        last = rows.order_by("-allocated_at", "-id").first()
        if last is None:
            raise ValidationError({"address": f"{address} is not allocated in VRF {vrf}."}, code="not_allocated")
        return last
