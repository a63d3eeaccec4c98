"""Device actions end to end: a real Celery worker, the configured broker, simulators over real sockets.

Each kind on each vendor; every simulator fault ending in a retry or a final
failure with its steps; idempotency; two mutating actions on one device
serialising; cancelled/expired actions never touching the device; a lost
worker's action recovered by the reaper; reprovision leaving the HALNy
simulator's running configuration equal to the rendered triple play, node
by node.
"""

from __future__ import annotations

import datetime
import time

import pytest
from django.db import transaction
from django.utils import timezone

from devices import actions
from devices.choices import ActionKind, ActionStatus
from devices.models import DeviceAction, DeviceLease
from devices.provisioning import from_cpe, render
from devices.provisioning.halny import halny_port_map
from tests.devices.actions.conftest import (
    cpe_for,
    fleet_devices,
    make_tenant_for_fleet,
    set_faults,
    simulator,
    step_messages,
    wait_finished,
    wait_for,
)

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

KINDS_IN_ORDER = [
    ActionKind.DIAGNOSTIC,
    ActionKind.RECONFIG,
    ActionKind.REPROVISION,
    ActionKind.UNPROVISION,
    ActionKind.REBOOT,
    ActionKind.FACTORY,
]
# Which fleet device each test uses (index into the vendor's devices): tests never share one.
KIND_DEVICE = {"halny": 0, "peplink": 0, "fanvil": 0}
FAULT_DEVICE = ("halny", 4)
SERIALIZE_DEVICE = ("halny", 3)
TRIPLE_PLAY_DEVICE = ("halny", 2)  # HL-4BX3V-F: 2.5G LAN4


@pytest.fixture
def fleet_tenant(tenant_a):
    return make_tenant_for_fleet(tenant_a)


def _device(fleet, vendor, index):
    return fleet_devices(fleet, vendor)[index]


@pytest.mark.parametrize("vendor", ["halny", "peplink", "fanvil"])
def test_every_kind_runs_or_is_refused_up_front(vendor, fleet_tenant, action_fleet, action_worker, action_settings):
    device = _device(action_fleet, vendor, KIND_DEVICE[vendor])
    cpe = cpe_for(fleet_tenant, device)
    for kind in KINDS_IN_ORDER:
        if vendor == "peplink" and kind == ActionKind.FACTORY:
            with pytest.raises(actions.ActionRefused, match="cannot factory-reset"):
                actions.request_action(cpe, kind)
            assert not DeviceAction.objects.filter(cpe=cpe, kind=kind).exists()
            continue
        action, created = actions.request_action(cpe, kind, requested_from="test")
        assert created
        wait_finished(action, timeout=30)
        assert action.status == ActionStatus.SUCCEEDED, (kind, action.error, step_messages(action))
        assert action.started and action.finished and action.attempts >= 1
        messages = step_messages(action)
        assert messages[0].startswith(f"{kind} queued by system via api")
        assert messages[-1].startswith(f"{kind} succeeded")
        if kind in (ActionKind.RECONFIG, ActionKind.REPROVISION, ActionKind.UNPROVISION):
            drift = action.result["drift"]
            assert drift["in_sync"], drift["differences"][:5]
            assert action.result["written"]
        if kind == ActionKind.REBOOT:
            time.sleep(0.7)  # the simulator stays dark for 0.5 s: the next action should not start in it
        if kind == ActionKind.DIAGNOSTIC:
            assert action.result["info"]["vendor"] == vendor
            assert "config" in action.result
            # Secrets read back are never stored in clear.
            assert "ppp-secret-1" not in str(action.result) and "wifi-secret-12" not in str(action.result)
    assert not DeviceLease.objects.filter(cpe=cpe).exists()


def test_reprovision_leaves_the_rendered_triple_play_running_node_by_node(
    fleet_tenant, action_fleet, action_worker, action_settings
):
    device = _device(action_fleet, *TRIPLE_PLAY_DEVICE)
    assert device.model == "HL-4BX3V-F"
    cpe = cpe_for(fleet_tenant, device)
    desired = render(from_cpe(cpe), ActionKind.REPROVISION)
    action, _ = actions.request_action(cpe, ActionKind.REPROVISION)
    wait_finished(action, timeout=30)
    assert action.status == ActionStatus.SUCCEEDED, step_messages(action)

    running = simulator(action_fleet, device.serial).snapshot()
    assert len(desired.sections) > 60
    for section in desired.sections:
        node = running[section.path]
        for name, value in section.values.items():
            assert node[name] == value, f"{section.path}.{name}: running {node[name]!r}, rendered {value!r}"
    # The triple play as the seed shows it: internet, IPTV bridge, VoIP WAN.
    assert running["wan/1"]["conn_type"] == "pppoe" and running["wan/1"]["vlan_id"] == "100"
    assert running["wan/2"]["mode"] == "bridge" and running["wan/2"]["vlan_id"] == "200"
    assert running["wan/3"]["service_type"] == "voip" and running["wan/3"]["vlan_id"] == "300"
    # The TV profile bridges LAN4, but LAN4 is this model's 2.5G port: it stays with internet.
    assert halny_port_map("HL-4BX3V-F", (4,)) == {"internet": ["lan1", "lan2", "lan3", "lan4"], "iptv": []}
    assert running["wan/1/port_bind"]["lan4"] == "yes"
    assert running["voip/line/1"]["login"] == f"{cpe.cpename}-1"
    assert running["wlan5/ssid/1"]["ssid_name"] == cpe.cpename


FAULTS = {
    # fault: (values, expected status, attempts, a step that must be there)
    "latency": ({"latency_ms": 20}, ActionStatus.SUCCEEDED, 1, "diagnostic succeeded"),
    "timeout": ({"timeout": True}, ActionStatus.FAILED, 3, "gave up after attempt 3"),
    "refuse": ({"refuse": True}, ActionStatus.FAILED, 3, "DeviceUnreachable"),
    "drop": ({"drop": True}, ActionStatus.FAILED, 3, "DeviceUnreachable"),
    "5xx": ({"http_status": 503}, ActionStatus.FAILED, 3, "HTTP 503"),
    "auth": ({"auth_failure": True}, ActionStatus.FAILED, 1, "final error on attempt 1"),
    "malformed": ({"malformed": True}, ActionStatus.FAILED, 1, "DeviceProtocolError"),
    "rebooting": ({"rebooting_for_s": 1.5}, ActionStatus.SUCCEEDED, None, "retrying in"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_faults_retry_or_fail_as_designed(fault, fleet_tenant, action_fleet, action_worker, action_settings):
    values, status, attempts, expected_step = FAULTS[fault]
    if fault == "rebooting":
        # Later attempts land after the reboot window (backoff 0.25-0.5, 0.5-1, 1-2, 2-4 s).
        action_settings.NOC_ACTION_RETRY_BASE_S = 0.5
        action_settings.NOC_ACTION_RETRY_MAX_S = 4.0
        action_settings.NOC_ACTION_MAX_ATTEMPTS = 5
    device = _device(action_fleet, *FAULT_DEVICE)
    cpe = cpe_for(fleet_tenant, device)
    set_faults(action_fleet, device.serial, **values)
    try:
        action, _ = actions.request_action(cpe, ActionKind.DIAGNOSTIC)
        wait_finished(action, timeout=30)
    finally:
        action_fleet.reset_faults(device.serial)
    messages = step_messages(action)
    assert action.status == status, messages
    if attempts is not None:
        assert action.attempts == attempts, messages
    else:
        assert action.attempts >= 2
    assert any(expected_step in m for m in messages), messages
    retries = [m for m in messages if "retrying in" in m]
    if status == ActionStatus.FAILED:
        assert len(retries) == action.attempts - 1
        assert action.error and action.error_step
    assert action.finished is not None


def test_a_repeated_idempotency_key_returns_the_first_action(
    fleet_tenant, action_fleet, action_worker, action_settings
):
    cpe = cpe_for(fleet_tenant, _device(action_fleet, "fanvil", 1))
    first, created = actions.request_action(cpe, ActionKind.DIAGNOSTIC, idempotency_key="crm-42")
    again, created_again = actions.request_action(cpe, ActionKind.DIAGNOSTIC, idempotency_key="crm-42")
    assert created and not created_again and again.pk == first.pk
    with pytest.raises(actions.IdempotencyConflict):
        actions.request_action(cpe, ActionKind.REBOOT, idempotency_key="crm-42")
    wait_finished(first)
    assert DeviceAction.objects.filter(cpe=cpe).count() == 1


def test_two_mutating_actions_on_one_device_serialize(fleet_tenant, action_fleet, action_worker, action_settings):
    device = _device(action_fleet, *SERIALIZE_DEVICE)
    cpe = cpe_for(fleet_tenant, device)
    set_faults(action_fleet, device.serial, latency_ms=40)
    try:
        with transaction.atomic():  # both messages leave together, at commit
            one, _ = actions.request_action(cpe, ActionKind.RECONFIG)
            two, _ = actions.request_action(cpe, ActionKind.REPROVISION)
        wait_finished(one, timeout=40)
        wait_finished(two, timeout=40)
    finally:
        action_fleet.reset_faults(device.serial)
    assert one.status == two.status == ActionStatus.SUCCEEDED
    first, second = sorted([one, two], key=lambda a: a.started)
    assert first.finished <= second.started, "two mutating actions overlapped on one device"
    waited = [m for a in (one, two) for m in step_messages(a) if m.startswith("waiting: action ")]
    assert waited, "the second action never waited for the first"


def test_cancelled_and_expired_actions_never_touch_the_device(
    fleet_tenant, action_fleet, action_worker, action_settings
):
    device = _device(action_fleet, "peplink", 1)
    cpe = cpe_for(fleet_tenant, device)
    sim = simulator(action_fleet, device.serial)
    resets_before = sim.stats["cellular_resets"]
    with transaction.atomic():
        cancelled, _ = actions.request_action(cpe, ActionKind.REBOOT)
        actions.cancel(cancelled)
    expired, _ = actions.request_action(
        cpe, ActionKind.REBOOT, not_after=timezone.now() - datetime.timedelta(seconds=1)
    )
    wait_finished(cancelled)
    wait_finished(expired)
    assert cancelled.status == ActionStatus.CANCELLED and cancelled.attempts == 0
    assert expired.status == ActionStatus.EXPIRED and expired.attempts == 0
    assert any(m.startswith("expired: not run by") for m in step_messages(expired))
    assert sim.stats["cellular_resets"] == resets_before
    with pytest.raises(actions.ActionFinished):
        actions.cancel(cancelled)


def test_a_running_action_stops_at_its_next_safe_point_when_cancelled(
    fleet_tenant, action_fleet, action_worker, action_settings
):
    device = _device(action_fleet, "halny", 1)  # HL-1B
    cpe = cpe_for(fleet_tenant, device)
    set_faults(action_fleet, device.serial, latency_ms=100)
    try:
        action, _ = actions.request_action(cpe, ActionKind.RECONFIG)
        assert wait_for(lambda: DeviceAction.objects.get(pk=action.pk).status == ActionStatus.RUNNING, 10)
        actions.cancel(action)
        wait_finished(action, timeout=30)
    finally:
        action_fleet.reset_faults(device.serial)
    messages = step_messages(action)
    assert action.status == ActionStatus.CANCELLED, messages
    assert any("cancellation requested" in m for m in messages)
    assert messages[-1].startswith("cancelled by the operator at")


def test_the_reaper_recovers_an_action_whose_worker_died(fleet_tenant, action_fleet, action_worker, action_settings):
    cpe = cpe_for(fleet_tenant, _device(action_fleet, "fanvil", 1))
    # What a SIGKILLed worker leaves: the row running, its lease, a heartbeat that stopped.
    stale = timezone.now() - datetime.timedelta(seconds=60)
    with transaction.atomic():
        action, _ = actions.request_action(cpe, ActionKind.REBOOT)
        DeviceAction.objects.filter(pk=action.pk).update(
            status=ActionStatus.RUNNING,
            attempts=1,
            heartbeat=stale,
            started=stale,
            worker="dead-host:123",
            cancel_requested=False,
        )
        DeviceLease.objects.create(cpe=cpe, action=action, holder="dead-host:123", acquired=stale, expires_at=stale)
    # The message the dead worker held may be redelivered: the row is running, so it is skipped.
    counts = actions.reap_lost()
    assert counts["requeued"] == 1
    wait_finished(action)
    messages = step_messages(action)
    assert action.status == ActionStatus.SUCCEEDED, messages
    assert action.attempts == 2
    assert any("worker dead-host:123 went silent" in m and "requeued by the reaper" in m for m in messages)
