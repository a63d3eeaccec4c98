"""The device-address rules: which management address:port the portal may contact, and for whom.

Two rules, checked when a CPE is written and again when the portal connects
(``devices.connect``), so a row that slipped into the database some other way
is never used:

1. **Never the portal's own services.** Loopback, link-local (cloud metadata
   included), unspecified, multicast and reserved addresses are refused, and
   so are the portal host's own addresses (``NOC_PORTAL_ADDRESSES``), except
   inside the simulator ranges the demo and the tests declare
   (``NOC_SIMULATOR_NETWORKS``), where only the portal's own ports
   (``NOC_PORTAL_PORTS``) are refused. 127.0.0.1 and ::1 never pass.
2. **A device belongs to exactly one tenant.** A management address:port that
   another tenant's CPE already uses is refused on write (the API answers
   409); at connect time a shared address:port refuses every tenant's CPE at
   it, so a row written before this rule cannot reach another tenant's device.

The tenants' management networks (``Tenant.management_networks``, kept
apart per routing domain by ``Tenant.clean``) are the third fence, checked in
``devices.connect.check_management_address``.
"""

from __future__ import annotations

import functools
import ipaddress
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings

from .drivers.base import DeviceError
from .models import Cpe
from .vendors import vendor

# Where the portal itself, its database and its broker listen on a laptop: never a device.
HOST_LOOPBACK = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))

Endpoint = tuple[str, int]


class ManagementAddressRefused(DeviceError):
    """The CPE's management address is missing, outside its tenant's networks, or one the portal never contacts."""


class ManagementAddressShared(ManagementAddressRefused):
    """Another tenant's CPE has the same management address:port: the portal contacts neither."""


class AddressInUse(Exception):
    """On write: another tenant's CPE already uses this management address:port (the API answers 409)."""


def _networks(cidrs: Iterable[str] | None) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """The CIDRs as networks, parsed once per distinct list (this runs for every device the portal contacts)."""
    return _parsed_networks(tuple(str(cidr) for cidr in cidrs or ()))


@functools.lru_cache(maxsize=256)
def _parsed_networks(cidrs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    networks = []
    for cidr in cidrs:
        try:
            networks.append(ipaddress.ip_network(cidr, strict=False))
        except ValueError:
            continue  # a malformed setting never widens access
    return tuple(networks)


def in_networks(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, cidrs: Iterable[str] | None) -> bool:
    """Whether ``ip`` is inside one of ``cidrs`` (malformed entries ignored)."""
    return any(ip in network for network in _networks(cidrs))


def parse_address(address: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """``address`` as an IP address, or ManagementAddressRefused (never a host name: no DNS on the way)."""
    if not address:
        raise ManagementAddressRefused("the CPE has no management address")
    try:
        return ipaddress.ip_address(address)
    except ValueError as exc:
        raise ManagementAddressRefused(f"{address!r} is not an IP address") from exc


def effective_port(port: int | None, family: str) -> int:
    """The port the portal connects to: the CPE's own, or its vendor's documented default."""
    return port or vendor(family).default_port


def own_service_problem(address: str | None, port: int | None = None) -> str | None:
    """Why the portal must never contact ``address``:``port`` (rule 1); None when it may.

    With ``port`` None only the address is judged (the port is checked once known).
    """
    try:
        ip = parse_address(address)
    except ManagementAddressRefused as exc:
        return exc.message
    if ip.version == 6 and ip.ipv4_mapped is not None:
        # The IPv4 rules and the one-tenant rule compare IPv4 addresses: write it as one.
        return f"{address} is an IPv4-mapped IPv6 address; write the IPv4 address {ip.ipv4_mapped}"
    if ip in HOST_LOOPBACK:
        return f"{address} is the portal's own host (loopback); the portal never contacts it"
    if in_networks(ip, settings.NOC_PORTAL_ADDRESSES):
        return f"{address} is an address of the portal's own host; the portal never contacts it"
    if in_networks(ip, settings.NOC_SIMULATOR_NETWORKS):
        if port is not None and port in settings.NOC_PORTAL_PORTS:
            return f"port {port} on {address} is one of the portal's own services; the portal never contacts it"
        return None
    for kind, flag in (
        ("a loopback", ip.is_loopback),
        ("a link-local", ip.is_link_local),
        ("the unspecified", ip.is_unspecified),
        ("a multicast", ip.is_multicast),
        ("a reserved", ip.is_reserved),
    ):
        if flag:
            return f"{address} is {kind} address; the portal never contacts it"
    return None


def check_own_services(address: str | None, port: int | None = None) -> None:
    """Rule 1 at connect time: ManagementAddressRefused (not retryable) when it is broken."""
    problem = own_service_problem(address, port)
    if problem:
        raise ManagementAddressRefused(problem)


def _spellings(address: str) -> set[str]:
    """The ways one IP address may be stored (IPv6: compressed, exploded, either case)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return {address}
    forms = {str(ip), ip.exploded}
    return forms | {form.upper() for form in forms} | {address}


def _normal(address: str) -> str:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return address


def check_address_free(
    tenant_id: int, address: str | None, port: int | None, family: str, *, exclude_pk: int | None = None
) -> None:
    """Rule 2 on write: AddressInUse when another tenant's CPE uses ``address``:``port``. One query."""
    if not address:
        return
    wanted = effective_port(port, family)
    others = Cpe.objects.exclude(tenant_id=tenant_id).filter(management_address__in=_spellings(address))
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    for other_port, other_family in others.values_list("management_port", "model__family"):
        if effective_port(other_port, other_family) == wanted:
            # Neither the tenant nor the CPE is named: that would tell one tenant about another's fleet.
            raise AddressInUse(
                f"Management address {_normal(address)}:{wanted} is already used by a CPE of another tenant; "
                "a device belongs to exactly one tenant."
            )


def shared_endpoints(cpes: Iterable[Cpe]) -> frozenset[Endpoint]:
    """The (address, port) pairs of ``cpes`` that CPEs of more than one tenant use (rule 2). One query.

    The poller calls this once per batch; ``endpoint_for`` once per CPE.
    """
    spellings: set[str] = set()
    for cpe in cpes:
        if cpe.management_address:
            spellings |= _spellings(cpe.management_address)
    if not spellings:
        return frozenset()
    tenants: dict[Endpoint, set[int]] = defaultdict(set)
    rows = Cpe.objects.filter(management_address__in=spellings).values_list(
        "tenant_id", "management_address", "management_port", "model__family"
    )
    for tenant_id, address, port, family in rows:
        tenants[(_normal(address), effective_port(port, family))].add(tenant_id)
    return frozenset(endpoint for endpoint, owners in tenants.items() if len(owners) > 1)


def check_not_shared(address: str, port: int, shared: frozenset[Endpoint]) -> None:
    """Rule 2 at connect time: ManagementAddressShared (not retryable) when another tenant uses the endpoint."""
    if (_normal(address), port) in shared:
        raise ManagementAddressShared(
            f"management address {_normal(address)}:{port} is also used by a CPE of another tenant; "
            "the portal contacts neither until an admin gives the device to one tenant"
        )
