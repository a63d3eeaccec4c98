"""Shared device fixtures: a small simulated fleet over real loopback sockets.

``sim_fleet`` is session-scoped and lazy: nothing binds unless a test asks
for it. Its devices live on 127.50.<process>.x (one /24 per test process, so
parallel runs never fight over an address) and its control API takes a
free port on 127.0.0.1.

Loopback plan (every fleet that can be up at the same time needs its own
range; ``loopback_base(N)`` gives 127.N.<process>.1):

    127.1 / 127.2   demo fleets (devices/demo.py, simulate_fleet default)
    127.10/20/30    per-vendor driver tests (HALNy / Peplink / Fanvil)
    127.50          sim_fleet (this file)
    127.52          device action fixtures (actions_fixtures.py)
    127.60          perf benchmark fleet (tests/perf)
    127.70-79       tests/devices/test_fleet.py
    127.90          e2e: the seeded small demo fleet (tests/e2e/fleet_fixtures.py)
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from simulators.fleet import FleetThread
from simulators.manifest import generate_manifest

SIM_FLEET_SIZE = 12


def xdist_worker_index() -> int:
    """0 for a plain run, N for xdist worker gwN."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker.removeprefix("gw") or 0) if worker.startswith("gw") else 0


def process_octet() -> int:
    """A third octet per test process (pid and xdist worker), so two test
    runs on one machine — a developer's and CI's, or xdist workers — do not
    fight over simulator addresses."""
    return (os.getpid() % 200 + 20 + xdist_worker_index() % 30) % 250 + 1


def loopback_base(second_octet: int) -> str:
    """First device address of a test fleet: 127.<second_octet>.<process>.1."""
    return f"127.{second_octet}.{process_octet()}.1"


@pytest.fixture(scope="session")
def sim_fleet() -> Iterator[FleetThread]:
    """A running mixed fleet (HALNy, Peplink, Fanvil) for tests that talk to devices.

    Use ``sim_fleet.devices`` for the manifest (with TLS fingerprints),
    ``sim_fleet.set_faults(serial, ...)`` / ``reset_faults(serial)`` to change
    a device's behaviour (reset what you change), and
    ``tests.devices.simulated.driver_for(device)`` for a driver.
    """
    with FleetThread(
        generate_manifest(SIM_FLEET_SIZE, seed=50, base_address=loopback_base(50)), control_port=0
    ) as fleet:
        yield fleet
