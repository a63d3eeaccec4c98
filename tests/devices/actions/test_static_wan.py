"""A static internet WAN provisioned with its IPAM address, end to end (issue 12, Links).

Allocate → reprovision through a real worker → the simulated ONT's (or
Peplink's) running WAN carries that address; without an allocation the
action is refused before anything is queued.
"""

from __future__ import annotations

import pytest

from devices import actions
from devices.choices import ActionKind, ActionStatus, WanMode
from devices.models import DeviceAction, ServiceProfile
from network.ipam import services
from network.ipam.choices import PoolPurpose
from network.ipam.services import Assignment
from tests.devices.actions.conftest import (
    cpe_for,
    fleet_devices,
    make_tenant_for_fleet,
    simulator,
    step_messages,
    wait_finished,
)
from tests.ipam.helpers import make_pool

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fleet_tenant(tenant_a):
    return make_tenant_for_fleet(tenant_a)


@pytest.fixture
def static_profile(fleet_tenant):
    return ServiceProfile.objects.create(
        tenant=fleet_tenant, name="Business static", internet_vlan=100, wan_mode=WanMode.STATIC
    )


@pytest.fixture
def public_pool(fleet_tenant):
    return make_pool(fleet_tenant, "203.0.113.0/28", name="Public", purpose=PoolPurpose.PUBLIC_STATIC)


def test_halny_reprovision_writes_the_allocated_address_into_the_static_wan(
    fleet_tenant, static_profile, public_pool, action_fleet, action_worker, action_settings
):
    device = fleet_devices(action_fleet, "halny")[0]  # HL-4GMV: a router ONT
    cpe = cpe_for(fleet_tenant, device, profile=static_profile)

    with pytest.raises(actions.ActionRefused, match="no static address"):
        actions.request_action(cpe, ActionKind.REPROVISION)
    assert not DeviceAction.objects.filter(cpe=cpe).exists()

    allocation = services.allocate(fleet_tenant, pool=public_pool, assignment=Assignment(subscriber=cpe.customer))
    action, _ = actions.request_action(cpe, ActionKind.REPROVISION)
    wait_finished(action, timeout=30)
    assert action.status == ActionStatus.SUCCEEDED, step_messages(action)
    assert action.result["drift"]["in_sync"], action.result["drift"]["differences"][:5]

    sim = simulator(action_fleet, device.serial)
    wan = sim.snapshot()["wan/1"]
    assert wan["conn_type"] == "static" and wan["enabled"] == "yes"
    assert (wan["ip"], wan["netmask"], wan["gateway"]) == (allocation.address, "255.255.255.240", "203.0.113.1")
    assert (wan["dns_primary"], wan["dns_secondary"]) == ("1.1.1.1", "9.9.9.9")  # the demo LAN profile's DNS
    state = sim.wan_state(1)
    assert state["state"] == "Connected" and state["ip"] == allocation.address


def test_peplink_reprovision_writes_the_allocated_address_as_static_ip(
    fleet_tenant, static_profile, public_pool, action_fleet, action_worker, action_settings
):
    device = fleet_devices(action_fleet, "peplink")[1]  # Balance 20X: a wired uplink
    cpe = cpe_for(fleet_tenant, device, profile=static_profile)
    own = services.allocate(fleet_tenant, pool=public_pool, assignment=Assignment(cpe=cpe))
    action, _ = actions.request_action(cpe, ActionKind.REPROVISION)
    wait_finished(action, timeout=30)
    assert action.status == ActionStatus.SUCCEEDED, step_messages(action)
    assert action.result["drift"]["in_sync"], action.result["drift"]["differences"][:5]
    diagnostic, _ = actions.request_action(cpe, ActionKind.DIAGNOSTIC)
    wait_finished(diagnostic, timeout=30)
    assert own.address in str(diagnostic.result["config"])
