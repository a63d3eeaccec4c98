"""Live polling against the vendor simulators over real sockets: state, samples, offline rule, alerts."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from devices import polling
from devices.models import Alert, AlertKind, DeviceSample, DeviceState
from tests.devices.polling_fleet import FAST, cpes_for, first, reset_faults, set_faults

pytestmark = pytest.mark.django_db


@pytest.fixture
def poll_fleet(sim_fleet):
    assert {d.vendor for d in sim_fleet.devices} == {"halny", "peplink", "fanvil"}
    for device in sim_fleet.devices:
        reset_faults(sim_fleet, device.serial)
    yield sim_fleet
    for device in sim_fleet.devices:
        reset_faults(sim_fleet, device.serial)


@pytest.fixture
def fleet_cpes(poll_fleet, tenant_a):
    return cpes_for(tenant_a, poll_fleet.devices)


def poll_round(options=FAST) -> list[polling.BatchReport]:
    return polling.poll_all(batch_size=50, options=options)


def state_of(cpe) -> DeviceState:
    return DeviceState.objects.get(cpe=cpe)


def test_a_round_updates_state_and_samples_for_every_vendor(poll_fleet, fleet_cpes):
    reports = poll_round()
    assert sum(r.reached for r in reports) == len(fleet_cpes)
    for device in poll_fleet.devices:
        cpe = fleet_cpes[device.serial]
        state = state_of(cpe)
        assert state.online is True and state.consecutive_misses == 0, (device.vendor, state.last_error)
        assert state.last_seen and state.last_polled and state.firmware, device.vendor
        assert state.output.startswith("UP - ")
        assert state.poll_claim == ""  # released
        if device.vendor == "halny":
            assert -30 < state.rx_dbm < -5 and state.tx_dbm is not None
            assert state.client_count == len(state.clients) > 0
            assert state.uptime_s is not None and len(state.wan) >= 1
        elif device.vendor == "peplink":
            assert state.rsrp is not None and state.sinr is not None
            assert any(w["up"] for w in state.wan)
            assert state.client_count is not None
        else:  # Fanvil phones: SIP lines and uptime, no radio, no clients
            assert state.sip and state.uptime_s is not None
            assert state.rx_dbm is None and state.rsrp is None and state.client_count is None
    assert DeviceSample.objects.count() == len(fleet_cpes)
    halny = fleet_cpes[first(poll_fleet, "halny").serial]
    assert DeviceSample.objects.get(cpe=halny).rx_dbm == state_of(halny).rx_dbm
    poll_round()
    assert DeviceSample.objects.count() == 2 * len(fleet_cpes)  # history grows, state is overwritten
    assert DeviceState.objects.count() == len(fleet_cpes)
    # A healthy fleet raises nothing (cellular readings drift over the whole band, so a
    # cell-edge reading on a router is realistic and allowed).
    assert not Alert.objects.exclude(kind__in=[AlertKind.RSRP_LOW, AlertKind.SINR_LOW]).exists()


def test_offline_after_consecutive_misses_and_back(poll_fleet, fleet_cpes):
    device = first(poll_fleet, "peplink")
    cpe = fleet_cpes[device.serial]
    poll_round()
    set_faults(poll_fleet, device.serial, refuse=True)
    for miss in (1, 2):
        poll_round()
        state = state_of(cpe)
        # One miss is not "offline": the state stays up (soft) and nothing is alerted.
        assert state.online is True and state.consecutive_misses == miss
        assert state.output.startswith(f"SOFT DOWN ({miss} missed)")
        assert not Alert.objects.filter(cpe=cpe).exists()
    poll_round()
    state = state_of(cpe)
    assert state.online is False and state.consecutive_misses == 3 and "DeviceUnreachable" in state.last_error
    alert = Alert.objects.get(cpe=cpe)
    assert alert.kind == AlertKind.OFFLINE and alert.closed is None and alert.severity == "critical"
    assert alert.tenant_id == cpe.tenant_id
    poll_round()  # still down: no duplicate alert
    assert Alert.objects.filter(cpe=cpe).count() == 1
    # The others were polled normally all along.
    others = DeviceState.objects.exclude(cpe=cpe)
    assert all(s.online for s in others)

    reset_faults(poll_fleet, device.serial)
    poll_round()
    state = state_of(cpe)
    assert state.online is True and state.consecutive_misses == 0 and state.last_error == ""
    alert.refresh_from_db()
    assert alert.closed is not None
    assert state.state_changed >= alert.closed - timedelta(seconds=5)


def test_optical_threshold_opens_and_closes_with_hysteresis(poll_fleet, fleet_cpes):
    device = first(poll_fleet, "halny")
    cpe = fleet_cpes[device.serial]
    simulator = poll_fleet.fleet.get(device.serial).simulator
    saved = simulator.rx_base, simulator.rx_clamp
    try:
        simulator.rx_clamp = False
        simulator.rx_base = -29.5  # past the -27 dBm alarm line, drift ±0.6
        poll_round()
        alert = Alert.objects.get(cpe=cpe, kind=AlertKind.RX_LOW)
        assert alert.closed is None and alert.value < -27 and alert.threshold == -27.0
        assert "Optical Rx" in alert.message
        simulator.rx_base = -26.7  # better, but not past the -26 dBm clear line: stays open
        poll_round()
        alert.refresh_from_db()
        assert alert.closed is None
        assert Alert.objects.filter(cpe=cpe, kind=AlertKind.RX_LOW).count() == 1
        simulator.rx_base = -21.0
        poll_round()
        alert.refresh_from_db()
        assert alert.closed is not None
    finally:
        simulator.rx_base, simulator.rx_clamp = saved


def test_cellular_threshold(poll_fleet, fleet_cpes):
    device = first(poll_fleet, "peplink")
    cpe = fleet_cpes[device.serial]
    simulator = poll_fleet.fleet.get(device.serial).simulator
    saved = dict(simulator.cell), simulator.cell_limits
    try:
        simulator.cell_limits = {**simulator.cell_limits, "rsrp": (-125, -118), "sinr": (-5, -3)}
        simulator.cell.update(rsrp=-120.0, sinr=-4.0)
        poll_round()
        kinds = set(Alert.objects.filter(cpe=cpe, closed__isnull=True).values_list("kind", flat=True))
        assert {AlertKind.RSRP_LOW, AlertKind.SINR_LOW} <= kinds
        simulator.cell_limits = saved[1]
        simulator.cell.update(rsrp=-85.0, sinr=15.0)
        poll_round()
        assert not Alert.objects.filter(cpe=cpe, closed__isnull=True).exists()
    finally:
        simulator.cell.clear()
        simulator.cell.update(saved[0])
        simulator.cell_limits = saved[1]


def test_a_dead_device_does_not_delay_the_others(poll_fleet, fleet_cpes):
    hung = first(poll_fleet, "halny")
    set_faults(poll_fleet, hung.serial, timeout=True)  # accepts, never answers
    t0 = time.perf_counter()
    [report] = poll_round()
    wall = time.perf_counter() - t0
    assert report.missed == 1 and report.reached == len(fleet_cpes) - 1
    # Bounded by one request timeout (1 s here), not by retries or the others.
    assert wall < FAST.timeout_s + 2.0, wall
    hung_state = state_of(fleet_cpes[hung.serial])
    assert hung_state.poll_ms >= 900 and "DeviceTimeout" in hung_state.last_error
    others = DeviceState.objects.exclude(cpe=fleet_cpes[hung.serial])
    assert max(s.poll_ms for s in others) < 900


def test_a_device_still_claimed_by_a_running_round_is_skipped(poll_fleet, fleet_cpes):
    cpe = fleet_cpes[first(poll_fleet, "fanvil").serial]
    polling.ensure_states()
    ids = list(DeviceState.objects.values_list("cpe_id", flat=True))
    now = timezone.now()
    assert polling.claim([cpe.pk], token="earlier-round", now=now, ttl_s=60) == [cpe.pk]
    report = polling.poll_batch(ids, FAST)
    assert report.skipped == 1 and report.claimed == len(ids) - 1
    state = state_of(cpe)
    assert state.last_polled is None and state.poll_claim == "earlier-round"
    # A claim older than the TTL belongs to a worker that died: the next batch takes it over.
    DeviceState.objects.filter(cpe=cpe).update(poll_claimed_at=now - timedelta(seconds=FAST.claim_ttl_s + 1))
    report = polling.poll_batch([cpe.pk], FAST)
    assert report.claimed == 1 and state_of(cpe).online is True


def test_refused_management_address_is_a_miss_not_a_request(poll_fleet, fleet_cpes, tenant_a):
    tenant_a.management_networks = ["10.0.0.0/8"]
    tenant_a.save()
    options = dataclasses.replace(FAST, offline_after_misses=1)
    poll_round(options)
    state = DeviceState.objects.first()
    assert state.online is False and "outside the tenant's management networks" in state.last_error
    assert DeviceSample.objects.count() == 0


def test_inactive_cpes_are_not_polled(poll_fleet, fleet_cpes):
    cpe = fleet_cpes[first(poll_fleet, "halny").serial]
    cpe.active = False
    cpe.save()
    poll_round()
    assert not DeviceState.objects.filter(cpe=cpe).exists()
    assert DeviceState.objects.count() == len(fleet_cpes) - 1


def test_prune_keeps_only_the_retention_period(poll_fleet, fleet_cpes):
    cpe = next(iter(fleet_cpes.values()))
    now = timezone.now()
    DeviceSample.objects.bulk_create(
        [DeviceSample(cpe=cpe, at=now - timedelta(days=days, minutes=1)) for days in (0, 1, 6, 7, 8, 30)]
    )
    assert polling.prune_samples(retention_days=7, chunk=1) == 3
    assert DeviceSample.objects.count() == 3


def test_poll_targets_run_concurrently(poll_fleet, fleet_cpes):
    """Concurrency, not a loop: the fleet with 300 ms latency everywhere takes ~1 device's time."""
    for device in poll_fleet.devices:
        set_faults(poll_fleet, device.serial, latency_ms=300)
    targets = polling.build_targets(list(fleet_cpes.values()), FAST.timeout_s)
    t0 = time.perf_counter()
    results = asyncio.run(polling.poll_targets(targets, concurrency=20, deadline_s=FAST.deadline_s))
    wall = time.perf_counter() - t0
    assert all(r.reached for r in results)
    slowest = max(r.duration_ms for r in results) / 1000
    assert wall < slowest + 0.5, (wall, slowest)


def test_sip_line_unregistered_opens_after_two_polls_and_closes(poll_fleet, fleet_cpes):
    device = first(poll_fleet, "fanvil")
    cpe = fleet_cpes[device.serial]
    simulator = poll_fleet.fleet.get(device.serial).simulator
    line = {"EnableReg": "1", "RegisterAddr": "sip.alpha.example", "RegisterUser": "1100", "PhoneNumber": "1100"}
    saved_config = {k: simulator.config[f"sip.line.1.{k}"] for k in line}
    saved_extra = dict(device.extra)
    try:
        for key, value in line.items():
            simulator.config[f"sip.line.1.{key}"] = value
        # The registrar refuses the account; no registration delay or refresh noise.
        device.extra.update(register_delay_s=0, reregister_rate=0, sip_fail_codes={"sip.alpha.example": "403"})
        poll_round()
        assert state_of(cpe).sip[0] | {"enabled": True, "registered": False} == state_of(cpe).sip[0]
        assert not Alert.objects.filter(cpe=cpe).exists()  # one poll is not enough
        poll_round()
        alert = Alert.objects.get(cpe=cpe, kind=AlertKind.SIP_UNREGISTERED, closed=None)
        assert "line 1 failed (403)" in alert.message
        device.extra["sip_fail_codes"] = {}
        poll_round()
        alert.refresh_from_db()
        assert alert.closed is not None and state_of(cpe).sip[0]["registered"] is True
    finally:
        for key, value in saved_config.items():
            simulator.config[f"sip.line.1.{key}"] = value
        device.extra.clear()
        device.extra.update(saved_extra)
