"""CPE rows for the shared simulated fleet (``sim_fleet``) and helpers for the live-polling tests.

The tests take devices offline, hang them and move their optical levels;
every change goes through :func:`set_faults` / a saved simulator attribute
and is undone (the ``fleet_cpes`` fixtures reset every device's faults), so
the shared fleet is left as found.
"""

from __future__ import annotations

import httpx

from devices.models import Cpe
from devices.polling import PollSettings
from devices.services import ensure_catalogue
from simulators.base import SimDevice
from simulators.fleet import FleetThread
from tests.devices.factories import CpeFactory
from tests.devices.simulated import management_fields

# Short timeouts keep the dead-device tests fast; the rule is the same as in production.
FAST = PollSettings(concurrency=20, timeout_s=1.0, deadline_s=3.0, offline_after_misses=3, claim_ttl_s=60)


def cpes_for(tenant, devices: list[SimDevice]) -> dict[str, Cpe]:
    """One CPE per simulated device (serial → CPE), reachable through the management-network guard."""
    catalogue = ensure_catalogue()
    out = {}
    for device in devices:
        model = catalogue[device.model]
        out[device.serial] = CpeFactory(tenant=tenant, model=model, tech=model.tech, **management_fields(device))
    return out


def set_faults(fleet: FleetThread, serial: str, **faults) -> None:
    """Through the fleet's control API, as a demo operator or e2e test would."""
    response = httpx.patch(f"{fleet.control_url}/devices/{serial}/faults", json=faults, timeout=10)
    response.raise_for_status()


def reset_faults(fleet: FleetThread, serial: str) -> None:
    httpx.delete(f"{fleet.control_url}/devices/{serial}/faults", timeout=10).raise_for_status()


def first(fleet: FleetThread, vendor: str) -> SimDevice:
    return next(d for d in fleet.devices if d.vendor == vendor)
