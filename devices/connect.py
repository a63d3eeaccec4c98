"""From a CPE row to a ready driver: endpoint, credentials, TLS policy, SSRF guard.

The one place that turns database state into a :class:`DeviceEndpoint`, so
the action engine, the poller and diagnostics all connect the same way and
all go through the management-network check.
"""

from __future__ import annotations

import ipaddress

from .drivers.base import DeviceDriver, DeviceEndpoint, DeviceError
from .models import Cpe
from .vendors import vendor


class ManagementAddressRefused(DeviceError):
    """The CPE's management address is missing or outside its tenant's management networks."""


def check_management_address(address: str | None, networks: list[str]) -> None:
    if not address:
        raise ManagementAddressRefused("the CPE has no management address")
    try:
        ip = ipaddress.ip_address(address)
    except ValueError as exc:
        raise ManagementAddressRefused(f"{address!r} is not an IP address") from exc
    for cidr in networks or []:
        try:
            if ip in ipaddress.ip_network(cidr, strict=False):
                return
        except ValueError:
            continue  # a malformed tenant setting never widens access
    raise ManagementAddressRefused(
        f"management address {address} is outside the tenant's management networks ({', '.join(networks) or 'none'})"
    )


def endpoint_for(cpe: Cpe) -> DeviceEndpoint:
    """The endpoint of ``cpe`` (needs ``cpe.tenant`` and ``cpe.model`` loaded)."""
    check_management_address(cpe.management_address, cpe.tenant.management_networks)
    row = vendor(cpe.model.family)
    username, password = cpe.management_username, cpe.management_password
    if row.factory_credentials is not None and not password and cpe.mac:
        username, password = row.factory_credentials(cpe.mac)
    return DeviceEndpoint(
        address=cpe.management_address,
        # The vendor's documented management port and scheme when the CPE has none set.
        port=cpe.management_port or row.default_port,
        scheme=cpe.management_scheme or row.default_scheme,
        username=username,
        password=password,
        verify_tls=cpe.tls_verify,
        ca_pem=cpe.tls_ca_pem or None,
        fingerprint_sha256=cpe.tls_fingerprint_sha256 or None,
    )


def driver_for(cpe: Cpe) -> DeviceDriver:
    """A driver for ``cpe``; use as ``async with driver_for(cpe) as driver:``."""
    return vendor(cpe.model.family).driver(endpoint_for(cpe), model=cpe.model.name)
