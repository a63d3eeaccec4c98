"""E2E fixtures for the device pages: the seeded demo's simulated fleet and a real Celery worker.

Import them into a test module (``from .fleet_fixtures import fleet_site, ...``):

- ``e2e_fleet``   the small demo fleet (``devices.demo.demo_manifests(small=True)``: the very devices
                  ``seed_demo --small`` creates, same serials) served by a :class:`FleetThread` on
                  its own loopback range, 127.90.<per process>.x — never the 127.1/127.2 addresses of
                  a ``make run`` demo on the same machine, nor another test fleet (tests/devices/conftest.py)
- ``e2e_worker``  ``celery.contrib.testing.worker.start_worker`` in this process (thread pool, one
                  thread: SQLite's shared in-memory test database tolerates one writer thread best) on
                  a queue of its own, consuming the configured broker (filesystem locally, Redis in CI)
- ``fleet_site``  ``demo_site`` whose CPEs point at ``e2e_fleet`` (management address/port by serial),
                  with short action retries and poll timeouts; ``fleet_site.poll()`` runs a poll round
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.db import connections

from devices.demo import demo_manifests
from devices.models import Cpe
from devices.polling import poll_all
from portal.models import Tenant
from simulators.base import SimDevice
from simulators.fleet import FleetThread
from simulators.manifest import iter_addresses
from tests.celery_worker import queue_worker
from tests.devices.conftest import xdist_worker_index

# Per test process, like the action fixtures: two runs on one machine never share a queue.
E2E_QUEUE = f"noc-e2e-actions-{os.getpid()}"
E2E_LOOPBACK = 90


def e2e_networks() -> dict[str, str]:
    """Tenant slug → its management network in the e2e range: one /25 each, so no address is shared."""
    # Per process (like the action fixtures): two suites on one machine (SQLite and PostgreSQL runs,
    # two people) never bind the same addresses.
    prefix = f"127.{E2E_LOOPBACK}.{os.getpid() % 200 + 20 + xdist_worker_index() % 30}"
    return {slug: f"{prefix}.{128 * i}/25" for i, slug in enumerate(demo_manifests(small=True))}


def e2e_manifest() -> list[SimDevice]:
    """The small demo fleet of both tenants, moved to the e2e loopback range (serials unchanged)."""
    networks = e2e_networks()
    devices = []
    for slug, manifest in demo_manifests(small=True).items():
        addresses = iter_addresses(str(ipaddress.ip_network(networks[slug]).network_address + 1))
        for device in manifest:
            # A reboot keeps a simulated device dark for a while; the journey should not wait 5 s.
            extra = {**device.extra, "reboot_s": 0.5}
            devices.append(dataclasses.replace(device, address=next(addresses), extra=extra))
    return devices


@pytest.fixture(scope="module")
def e2e_fleet() -> Iterator[FleetThread]:
    with FleetThread(e2e_manifest(), control_port=0) as fleet:
        yield fleet


@pytest.fixture(scope="module")
def e2e_worker() -> Iterator[object]:
    with queue_worker(E2E_QUEUE) as worker:
        yield worker


@dataclass
class FleetSite:
    url: str
    password: str
    fleet: FleetThread

    def go(self, page, path: str):
        return page.goto(self.url + path, wait_until="domcontentloaded")

    def poll(self) -> None:
        """One poll round of every active CPE (what beat's devices.poll_round schedules), in a thread.

        A thread of its own: the poller runs its own event loop, and Playwright's sync API keeps one
        in the test's thread.
        """
        errors: list[BaseException] = []

        def run() -> None:
            try:
                poll_all()
            except BaseException as exc:  # re-raised in the test's thread
                errors.append(exc)
            finally:
                connections.close_all()

        thread = threading.Thread(target=run, name="e2e-poll")
        thread.start()
        thread.join(120)
        if errors:
            raise errors[0]


@pytest.fixture
def fleet_site(request, settings, tmp_path, e2e_fleet, e2e_worker) -> FleetSite:
    # seed_demo writes its fleet manifest; keep a running demo's var/fleet/demo-manifest.json intact.
    settings.DEMO_FLEET_MANIFEST = str(tmp_path / "demo-manifest.json")
    settings.NOC_ACTION_QUEUE = E2E_QUEUE
    settings.NOC_ACTION_RETRY_BASE_S = 0.1
    settings.NOC_ACTION_RETRY_MAX_S = 0.5
    settings.NOC_ACTION_MAX_ATTEMPTS = 2
    settings.NOC_ACTION_HEARTBEAT_S = 0.5
    settings.NOC_ACTION_DEVICE_TIMEOUT_S = 2.0
    settings.NOC_POLL_TIMEOUT_SECONDS = 1.0
    settings.NOC_POLL_DEVICE_DEADLINE_SECONDS = 2.0
    site = request.getfixturevalue("demo_site")

    by_serial = {d.serial: d for d in e2e_fleet.devices}
    cpes = list(Cpe.objects.filter(sn__in=by_serial))
    assert len(cpes) == len(by_serial), "seed_demo --small and demo_manifests(small=True) disagree"
    for cpe in cpes:
        device = by_serial[cpe.sn]
        cpe.management_address, cpe.management_port = device.address, device.port
    Cpe.objects.bulk_update(cpes, ["management_address", "management_port"])
    # Each demo tenant's management network follows its devices into the e2e range.
    for slug, network in e2e_networks().items():
        Tenant.objects.filter(slug=slug).update(management_networks=[network])
    return FleetSite(url=site.url, password=site.password, fleet=e2e_fleet)
