"""Fixtures of the device-action tests: a small fleet of known models, CPEs pointing at it, a real worker.

The fleet lives on 127.52.<xdist worker>.x so it never
collides with ``sim_fleet``; the worker is celery's testing worker on the
configured broker (filesystem locally, Redis in CI), in threads.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from devices.choices import ManagementScheme, Tech
from devices.demo import ensure_profiles
from devices.models import Cpe, DeviceAction
from devices.services import ensure_catalogue
from simulators.base import SimDevice
from simulators.fleet import FleetThread
from simulators.manifest import generate_manifest
from subscribers.models import PotsLine, Subscriber
from tests.celery_worker import queue_worker, wait_for
from tests.devices.conftest import xdist_worker_index

# Serial prefix → the model that device is forced to (the manifest's models are random).
FLEET_MODELS = {
    "halny": ["HL-4GMV", "HL-1B", "HL-4BX3V-F", "HL-4GMV", "HL-4GMV"],
    "peplink": ["MAX BR1", "Balance 20X"],
    "fanvil": ["X6", "X3SG"],
}


# Per test process: two people (or CI jobs) running the suite on one machine share
# neither loopback addresses nor the broker queue.
ACTION_QUEUE = f"noc-test-actions-{os.getpid()}"


def _build_manifest() -> list[SimDevice]:
    base = f"127.52.{os.getpid() % 200 + 20 + xdist_worker_index() % 30}.1"
    devices = generate_manifest(30, seed=52, base_address=base)
    chosen: list[SimDevice] = []
    for vendor, models in FLEET_MODELS.items():
        pool = [d for d in devices if d.vendor == vendor]
        for device, model in zip(pool, models, strict=False):
            device.model = model
            # Reboots keep a simulated device dark briefly; tests should not wait 5 s.
            device.extra["reboot_s"] = 0.5
            chosen.append(device)
    return chosen


@pytest.fixture(scope="session")
def action_fleet() -> Iterator[FleetThread]:
    with FleetThread(_build_manifest(), control_port=0) as fleet:
        yield fleet


def fleet_devices(fleet: FleetThread, vendor: str) -> list[SimDevice]:
    return [d for d in fleet.devices if d.vendor == vendor]


def simulator(fleet: FleetThread, serial: str):
    return fleet.fleet.get(serial).simulator


@pytest.fixture
def action_settings(settings):
    """Small delays so retries, heartbeats and leases play out in a test's time."""
    settings.NOC_ACTION_RETRY_BASE_S = 0.05
    settings.NOC_ACTION_RETRY_MAX_S = 0.3
    settings.NOC_ACTION_HEARTBEAT_S = 0.2
    settings.NOC_ACTION_LEASE_S = 3.0
    settings.NOC_ACTION_BUSY_RETRY_S = 0.1
    settings.NOC_ACTION_DEVICE_TIMEOUT_S = 1.0
    settings.NOC_ACTION_MAX_ATTEMPTS = 3
    settings.NOC_ACTION_QUEUE = ACTION_QUEUE
    return settings


@pytest.fixture(scope="module")
def action_worker() -> Iterator[object]:
    """A real worker consuming the configured broker (two threads: mutating actions must serialize)."""
    with queue_worker(ACTION_QUEUE, concurrency=2) as worker:
        yield worker


def set_faults(fleet: FleetThread, serial: str, **values) -> None:
    # Not fleet.set_faults(): its own ``timeout`` keyword would swallow the "timeout" fault.
    fleet.call(lambda: fleet.fleet.set_faults(serial, **values))


def make_tenant_for_fleet(tenant):
    tenant.management_networks = ["127.0.0.0/8"]
    tenant.save(update_fields=["management_networks"])
    return tenant


def cpe_for(tenant, device: SimDevice, *, pots: int | None = None, **overrides) -> Cpe:
    """A CPE of ``tenant`` pointing at a simulated device, with the demo profiles."""
    catalogue = ensure_catalogue()
    profiles = ensure_profiles(tenant)
    model = catalogue[device.model]
    customer = Subscriber.objects.create(tenant=tenant, name="Ewa", surname="Nowak", country="Poland")
    gpon = model.tech == Tech.GPON
    values = dict(
        tenant=tenant,
        sn=device.serial,
        cpename=f"{tenant.realm}{device.serial[-6:].lower()}",
        model=model,
        tech=model.tech,
        customer=customer,
        mac=device.mac,
        bridge=not model.is_router,
        profile=profiles["lte"]
        if model.tech == Tech.LTE
        else profiles["voice"]
        if model.family == "fanvil"
        else profiles["ftth"],
        tv_profile=profiles["tv"] if gpon else None,
        voip_profile=profiles["voip"] if model.pots_ports else None,
        wifi_profile=profiles["wifi"] if model.wifi else None,
        address_profile=profiles["lan"] if model.is_router else None,
        pppoe_username=f"user-{device.serial[-6:].lower()}",
        pppoe_password="ppp-secret-1",
        wifi_password="wifi-secret-12" if model.wifi else "",
        country="Poland",
        management_address=device.address,
        management_port=device.port,
        management_scheme=ManagementScheme.HTTP,
        management_username=device.username,
        management_password=device.password,
    )
    values.update(overrides)
    cpe = Cpe.objects.create(**values)
    lines = pots if pots is not None else (1 if model.pots_ports else 0)
    for order in range(1, lines + 1):
        PotsLine.objects.create(
            tenant=tenant,
            cpe=cpe,
            order=order,
            lineid=f"{cpe.cpename}-{order}",
            cli=f"4812{order:05d}",
            username=f"{cpe.cpename}-{order}",
            password="sip-secret-99",
            label=f"Line {order}",
        )
    return cpe


def wait_finished(action: DeviceAction, timeout: float = 20.0) -> DeviceAction:
    def done() -> bool:
        action.refresh_from_db()
        return action.is_finished

    assert wait_for(done, timeout), f"action {action.pk} still {action.status}: {step_messages(action)}"
    return action


def step_messages(action: DeviceAction) -> list[str]:
    return list(action.steps.order_by("seq").values_list("message", flat=True))
