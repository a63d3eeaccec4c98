"""From a CPE row to a ready driver: endpoint, credentials, TLS policy, SSRF guard.

The one place that turns database state into a :class:`DeviceEndpoint`, so
the action engine, the poller and diagnostics all connect the same way and
all go through the management-network check and the device-address rules
(``devices.addresses``: never the portal's own services; one tenant per
address:port).
"""

from __future__ import annotations

from .addresses import (
    ManagementAddressRefused,
    ManagementAddressShared,
    check_not_shared,
    check_own_services,
    in_networks,
    parse_address,
    shared_endpoints,
)
from .drivers.base import DeviceDriver, DeviceEndpoint
from .models import Cpe
from .vendors import vendor

__all__ = [
    "ManagementAddressRefused",
    "ManagementAddressShared",
    "check_management_address",
    "driver_for",
    "endpoint_for",
]


def check_management_address(address: str | None, networks: list[str]) -> None:
    """Inside the tenant's management networks, and not one of the portal's own addresses (port unknown here)."""
    if not in_networks(parse_address(address), networks):
        raise ManagementAddressRefused(
            f"management address {address} is outside the tenant's management networks "
            f"({', '.join(networks) or 'none'})"
        )
    check_own_services(address)


def endpoint_for(cpe: Cpe, *, shared: frozenset[tuple[str, int]] | None = None) -> DeviceEndpoint:
    """The endpoint of ``cpe`` (needs ``cpe.tenant`` and ``cpe.model`` loaded).

    ``shared``: :func:`devices.addresses.shared_endpoints` of a batch the
    caller already computed (the poller: one query per batch); None asks the
    database for this CPE alone (one query).
    """
    check_management_address(cpe.management_address, cpe.tenant.management_networks)
    row = vendor(cpe.model.family)
    port = cpe.management_port or row.default_port
    check_own_services(cpe.management_address, port)
    # Checked again here, not only on write: rows written before the rule (or
    # around the API) must not reach another tenant's device.
    check_not_shared(cpe.management_address, port, shared_endpoints([cpe]) if shared is None else shared)
    username, password = cpe.management_username, cpe.management_password
    if row.factory_credentials is not None and not password and cpe.mac:
        username, password = row.factory_credentials(cpe.mac)
    return DeviceEndpoint(
        address=cpe.management_address,
        # The vendor's documented management port and scheme when the CPE has none set.
        port=port,
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
