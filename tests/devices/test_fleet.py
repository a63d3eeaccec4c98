"""The simulated fleet: manifests, binding thousands of loopback devices, run-time faults."""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import json
import re
import resource
import signal
import socket
import ssl
import time
from collections import Counter

import httpx
import pytest
from aiohttp import web

from devices.drivers.base import DeviceUnreachable
from simulators.base import DEVICE_KEY, SimDevice, Simulator
from simulators.control import validate_faults
from simulators.fleet import FleetStartError, FleetThread, raise_nofile_limit
from simulators.manifest import (
    MANIFEST_VERSION,
    VENDORS,
    Ports,
    generate_manifest,
    is_usable_address,
    iter_addresses,
    load_manifest,
    read_manifest_document,
    write_manifest,
)
from tests.devices.conftest import loopback_base
from tests.devices.simulated import driver_for, fleet_process

# ---------------------------------------------------------------------------
# A test-only simulator: lets the fleet machinery be tested without vendors
# ---------------------------------------------------------------------------


class EchoSimulator(Simulator):
    """Answers GET / with the device's identity, on HTTP and (if set) HTTPS."""

    vendor = "echo"

    def add_routes(self, app: web.Application) -> None:
        async def identity(request: web.Request) -> web.Response:
            device = request.app[DEVICE_KEY]
            return web.json_response({"serial": device.serial, "vendor": device.vendor})

        app.router.add_get("/", identity)

    def listen_ports(self) -> list[tuple[int, bool]]:
        ports = [(self.device.port, False)]
        if self.device.https_port:
            ports.append((self.device.https_port, True))
        return ports


ECHO = {vendor: EchoSimulator for vendor in VENDORS}


def _echo_fleet(count: int, second_octet: int, **kwargs) -> FleetThread:
    return FleetThread(
        generate_manifest(count, seed=second_octet, base_address=loopback_base(second_octet)),
        simulators=ECHO,
        control_port=0,
        **kwargs,
    )


@pytest.fixture(scope="module")
def echo_fleet():
    fleet = _echo_fleet(30, 71)
    fleet.start()
    yield fleet
    fleet.stop()


def _refused(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=2):
            return False
    except ConnectionRefusedError:
        return True


# ---------------------------------------------------------------------------
# Manifest generation
# ---------------------------------------------------------------------------


def _dicts(devices: list[SimDevice]) -> list[dict]:
    return [d.to_dict() for d in devices]


def test_same_seed_same_manifest_different_seed_different():
    assert _dicts(generate_manifest(300, seed=7)) == _dicts(generate_manifest(300, seed=7))
    a, b = generate_manifest(300, seed=7), generate_manifest(300, seed=8)
    assert {d.serial for d in a}.isdisjoint({d.serial for d in b})
    assert [d.password for d in a] != [d.password for d in b]


def test_default_mix_is_60_25_15_and_small_fleets_show_every_vendor():
    counts = Counter(d.vendor for d in generate_manifest(1000))
    assert counts == {"halny": 600, "peplink": 250, "fanvil": 150}
    assert set(Counter(d.vendor for d in generate_manifest(3))) == {"halny", "peplink", "fanvil"}
    only_phones = generate_manifest(10, mix={"fanvil": 1})
    assert {d.vendor for d in only_phones} == {"fanvil"}
    with pytest.raises(ValueError, match="unknown vendor"):
        generate_manifest(10, mix={"mikrotik": 1})


def test_addresses_serials_and_macs_are_unique_across_a_big_fleet():
    devices = generate_manifest(3000, seed=3)
    for attr in ("address", "serial", "mac"):
        assert len({getattr(d, attr) for d in devices}) == len(devices), attr
    assert all(is_usable_address(d.address) for d in devices)
    assert devices[0].address == "127.1.0.1"


def test_address_plan_skips_host_loopback_and_network_broadcast_lookalikes():
    addresses = list(zip(range(300), iter_addresses("127.1.0.250"), strict=False))
    plain = [a for _, a in addresses]
    assert plain[:6] == ["127.1.0.250", "127.1.0.251", "127.1.0.252", "127.1.0.253", "127.1.0.254", "127.1.1.1"]
    assert not any(a.endswith((".0", ".255")) for a in plain)
    # Starting inside the host's own 127.0/16 jumps past it.
    assert next(iter_addresses("127.0.0.1")) == "127.1.0.1"


@pytest.mark.parametrize(
    ("address", "usable"),
    [
        ("127.0.0.1", False),
        ("127.0.0.53", False),
        ("127.0.1.1", False),
        ("127.1.0.0", False),
        ("127.1.0.255", False),
        ("127.255.255.255", False),
        ("10.0.0.1", False),
        ("127.1.0.1", True),
        ("127.50.3.254", True),
    ],
)
def test_is_usable_address(address, usable):
    assert is_usable_address(address) is usable


def test_devices_look_like_their_vendor():
    devices = generate_manifest(400, seed=11)
    for d in devices:
        model_names = {m for m, _ in VENDORS[d.vendor].models}
        assert d.model in model_names
        assert d.mac[:8] in VENDORS[d.vendor].ouis
        assert re.fullmatch(r"([0-9A-F]{2}:){5}[0-9A-F]{2}", d.mac)
        assert d.firmware and d.seed
        assert d.extra["driver"] == d.vendor
        if d.vendor == "halny":
            assert re.fullmatch(r"HALN[0-9A-F]{8}", d.serial)
            assert (d.username, d.password) == ("apiuser", d.mac.replace(":", "")[-4:] + "APIpass")
            assert (d.port, d.https_port) == (48626, None)
        elif d.vendor == "peplink":
            assert re.fullmatch(r"1824-[0-9A-Z]{4}-[0-9A-Z]{4}", d.serial)
            assert d.username == "admin" and len(d.password) >= 10
            assert (d.port, d.https_port) == (8080, 8443)
        else:
            assert d.serial == d.mac.replace(":", "")
            assert d.username == "admin" and len(d.password) >= 10
            assert (d.port, d.https_port) == (8081, None)


def test_ports_are_configurable():
    ports = Ports(peplink_http=18080, peplink_https=18443, fanvil_http=18081)
    devices = generate_manifest(20, ports=ports)
    assert {(d.port, d.https_port) for d in devices if d.vendor == "peplink"} == {(18080, 18443)}
    assert {d.port for d in devices if d.vendor == "fanvil"} == {18081}


def test_default_manifest_is_healthy_lively_one_has_a_few_bad_apples():
    healthy = generate_manifest(500, seed=5)
    assert all(
        d.to_dict()["faults"] == SimDevice("x", "m", "s", "mac", "a", 1, "u", "p").to_dict()["faults"] for d in healthy
    )
    assert not any("lively" in d.extra for d in healthy)
    lively = generate_manifest(500, seed=5, lively=True)
    troubled = [d for d in lively if "lively" in d.extra]
    assert 0 < len(troubled) < len(lively) * 0.2
    assert any(d.faults.refuse for d in troubled)
    assert any(d.extra.get("signal") == "weak" for d in troubled)


# ---------------------------------------------------------------------------
# Manifest files
# ---------------------------------------------------------------------------


def test_write_then_load_round_trips(tmp_path):
    devices = generate_manifest(50, seed=2, lively=True)
    devices[0].faults.latency_ms = 250
    devices[1].extra["tls_fingerprint_sha256"] = "ab" * 32
    path = write_manifest(tmp_path / "fleet" / "manifest.json", devices, control_url="http://127.0.0.1:1")
    document = json.loads(path.read_text())
    assert document["version"] == MANIFEST_VERSION
    assert document["control_url"] == "http://127.0.0.1:1"
    assert _dicts(load_manifest(path)) == _dicts(devices)


def test_load_refuses_other_versions(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"version": 99, "devices": []}))
    with pytest.raises(ValueError, match="version"):
        read_manifest_document(path)


# ---------------------------------------------------------------------------
# Fault validation, RLIMIT
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [{"latency_ms": True}, {"latency_ms": -1}, {"refuse": 1}, {"http_status": 42}, {"teleport": True}],
)
def test_invalid_faults_are_refused(values):
    with pytest.raises(ValueError):
        validate_faults(values)


def test_raise_nofile_limit_goes_to_the_hard_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    low = min(1024, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (low, hard))
    try:
        new_soft = raise_nofile_limit()
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == new_soft
        if hard != resource.RLIM_INFINITY:
            assert new_soft == hard
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


# ---------------------------------------------------------------------------
# A running fleet (test-only simulator): sockets, TLS pinning, control API
# ---------------------------------------------------------------------------


def test_every_device_answers_on_its_own_address(echo_fleet):
    with httpx.Client(timeout=5, trust_env=False) as client:
        for device in echo_fleet.devices:
            answer = client.get(f"http://{device.address}:{device.port}/").json()
            assert answer == {"serial": device.serial, "vendor": device.vendor}


def test_tls_sites_serve_the_recorded_certificate(echo_fleet):
    tls_devices = [d for d in echo_fleet.devices if d.https_port]
    assert tls_devices
    for device in tls_devices:
        pem = device.extra["tls_cert_pem"]
        assert hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest() == device.extra["tls_fingerprint_sha256"]
        context = ssl.create_default_context(cadata=pem)
        context.check_hostname = False
        with (
            socket.create_connection((device.address, device.https_port), timeout=5) as raw,
            context.wrap_socket(raw) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
        assert hashlib.sha256(der).hexdigest() == device.extra["tls_fingerprint_sha256"]


def test_control_api_lists_devices(echo_fleet):
    with httpx.Client(base_url=echo_fleet.control_url, timeout=5, trust_env=False) as control:
        listing = control.get("/devices").json()
        assert listing["version"] == MANIFEST_VERSION
        assert [d["serial"] for d in listing["devices"]] == [d.serial for d in echo_fleet.devices]
        phones = control.get("/devices", params={"vendor": "fanvil"}).json()["devices"]
        assert phones and {d["vendor"] for d in phones} == {"fanvil"}
        one = echo_fleet.devices[3]
        assert control.get(f"/devices/{one.serial}").json()["address"] == one.address
        assert control.get("/devices/NOPE").status_code == 404


def test_control_api_refuse_then_rebind(echo_fleet):
    device = next(d for d in echo_fleet.devices if d.https_port)
    url = f"http://{device.address}:{device.port}/"
    with httpx.Client(base_url=echo_fleet.control_url, timeout=5, trust_env=False) as control:
        changed = control.patch(f"/devices/{device.serial}/faults", json={"refuse": True})
        assert changed.status_code == 200 and changed.json()["faults"]["refuse"] is True
        try:
            assert _refused(device.address, device.port)
            assert _refused(device.address, device.https_port)
            with pytest.raises(httpx.ConnectError):
                httpx.get(url, timeout=2, trust_env=False)
        finally:
            back = control.post(f"/devices/{device.serial}/faults", json={"refuse": False})
        assert back.status_code == 200 and back.json()["faults"]["refuse"] is False
    assert httpx.get(url, timeout=5, trust_env=False).json()["serial"] == device.serial
    assert not _refused(device.address, device.https_port)


def test_control_api_latency_and_status_faults_apply_at_run_time(echo_fleet):
    device = echo_fleet.devices[0]
    url = f"http://{device.address}:{device.port}/"
    with httpx.Client(base_url=echo_fleet.control_url, timeout=5, trust_env=False) as control:
        try:
            assert control.patch(f"/devices/{device.serial}/faults", json={"latency_ms": 300}).status_code == 200
            t0 = time.monotonic()
            assert httpx.get(url, timeout=5, trust_env=False).status_code == 200
            assert time.monotonic() - t0 >= 0.3
            control.patch(f"/devices/{device.serial}/faults", json={"latency_ms": 0, "http_status": 503})
            assert httpx.get(url, timeout=5, trust_env=False).status_code == 503
            rebooting = control.patch(f"/devices/{device.serial}/faults", json={"rebooting_for_s": 30})
            assert rebooting.json()["faults"]["rebooting_for_s"] > 25
            assert control.get(f"/devices/{device.serial}").json()["faults"]["rebooting_for_s"] > 25
        finally:
            cleared = control.delete(f"/devices/{device.serial}/faults").json()["faults"]
        assert cleared["http_status"] is None and cleared["rebooting_for_s"] == 0
    assert httpx.get(url, timeout=5, trust_env=False).status_code == 200


@pytest.mark.parametrize(
    ("body", "status"),
    [({"latency_ms": "slow"}, 400), ({"teleport": True}, 400), ([1, 2], 400), ("not json", 400)],
)
def test_control_api_rejects_bad_fault_bodies(echo_fleet, body, status):
    serial = echo_fleet.devices[1].serial
    with httpx.Client(base_url=echo_fleet.control_url, timeout=5, trust_env=False) as control:
        if body == "not json":
            answer = control.patch(
                f"/devices/{serial}/faults", content=b"{", headers={"content-type": "application/json"}
            )
        else:
            answer = control.patch(f"/devices/{serial}/faults", json=body)
    assert answer.status_code == status
    assert "error" in answer.json()


def test_thread_api_sets_faults_and_lookups(echo_fleet):
    device = echo_fleet.devices[2]
    assert echo_fleet.fleet.at(device.address).device is device
    assert echo_fleet.fleet.device(device.serial) is device
    try:
        echo_fleet.set_faults(device.serial, refuse=True)
        assert _refused(device.address, device.port)
    finally:
        echo_fleet.set_faults(device.serial, refuse=False)
    assert not _refused(device.address, device.port)
    with pytest.raises(KeyError):
        echo_fleet.set_faults("NOPE", latency_ms=1)


def test_device_listed_offline_starts_unbound_and_can_be_brought_up():
    devices = generate_manifest(4, seed=52, base_address=loopback_base(72))
    devices[0].faults.refuse = True
    with FleetThread(devices, simulators=ECHO, control_port=None) as fleet:
        assert fleet.control_url is None
        assert _refused(devices[0].address, devices[0].port)
        assert not _refused(devices[1].address, devices[1].port)
        fleet.set_faults(devices[0].serial, refuse=False)
        assert not _refused(devices[0].address, devices[0].port)
    for device in devices:
        assert _refused(device.address, device.port)


def test_start_fails_loudly_when_an_address_is_taken():
    devices = generate_manifest(3, seed=53, base_address=loopback_base(73))
    with FleetThread(devices, simulators=ECHO, control_port=None):
        second = FleetThread(devices, simulators=ECHO, control_port=None)
        with pytest.raises(FleetStartError, match="failed to start"):
            second.start()


def test_fleet_rejects_duplicate_addresses():
    devices = generate_manifest(3, seed=54, base_address=loopback_base(74))
    devices[1].address = devices[0].address
    with pytest.raises(FleetStartError, match="duplicate"):
        FleetThread(devices, simulators=ECHO, control_port=None).start()


# ---------------------------------------------------------------------------
# driver_for
# ---------------------------------------------------------------------------


class _RecordingDriver:
    def __init__(self, endpoint, *, model=""):
        self.endpoint, self.model = endpoint, model


def test_driver_for_builds_an_http_endpoint_by_default_and_pins_tls_on_request():
    registry = dict.fromkeys(VENDORS, _RecordingDriver)
    peplink = next(d for d in generate_manifest(10) if d.vendor == "peplink")
    driver = driver_for(peplink, registry=registry, timeout=3.0)
    assert (driver.endpoint.scheme, driver.endpoint.address, driver.endpoint.port) == ("http", peplink.address, 8080)
    assert (driver.endpoint.username, driver.endpoint.password) == (peplink.username, peplink.password)
    assert driver.endpoint.timeout == 3.0 and driver.model == peplink.model
    with pytest.raises(ValueError, match="fingerprint"):
        driver_for(peplink, tls=True, registry=registry)
    peplink.extra["tls_fingerprint_sha256"] = "cd" * 32
    pinned = driver_for(peplink, tls=True, registry=registry)
    assert (pinned.endpoint.scheme, pinned.endpoint.port) == ("https", 8443)
    assert pinned.endpoint.fingerprint_sha256 == "cd" * 32
    halny = next(d for d in generate_manifest(10) if d.vendor == "halny")
    with pytest.raises(ValueError, match="no HTTPS port"):
        driver_for(halny, tls=True, registry=registry)


def test_fleet_start_time_scales(tmp_path):
    """500 devices (a quarter with TLS) bind in well under the 2,000-in-a-minute budget."""
    devices = generate_manifest(500, seed=55, base_address=loopback_base(75))
    fleet = FleetThread(devices, simulators=ECHO, control_port=None)
    t0 = time.perf_counter()
    fleet.start()
    try:
        elapsed = time.perf_counter() - t0
        assert elapsed < 30, f"500 devices took {elapsed:.1f}s"
        assert all(d.extra.get("tls_fingerprint_sha256") for d in devices if d.https_port)
    finally:
        fleet.stop()


# ---------------------------------------------------------------------------
# The real vendor simulators
# ---------------------------------------------------------------------------


def _probe(client: httpx.Client, device: SimDevice) -> None:
    """One documented request per vendor; raise AssertionError unless the device answers properly."""
    base = f"http://{device.address}:{device.port}"
    if device.vendor == "halny":
        answer = client.get(f"{base}/api/v2/wan/1", auth=(device.username, device.password))
        assert answer.status_code == 200, answer.text
        assert isinstance(answer.json(), dict)
    elif device.vendor == "peplink":
        login = client.post(f"{base}/api/login", json={"username": device.username, "password": device.password})
        assert login.json()["stat"] == "ok", login.text
        session = "; ".join(f"{name}={value}" for name, value in login.cookies.items())
        status = client.get(f"{base}/api/status.wan.connection", headers={"Cookie": session})
        assert status.json()["stat"] == "ok", status.text
    else:
        body = (
            '<?xml version="1.0" encoding="UTF-8" ?>\n<FanvilConfiguration cmd="get">'
            "<Item>info.dev.Model</Item></FanvilConfiguration>"
        )
        answer = client.post(f"{base}/xmlService", content=body, auth=(device.username, device.password))
        assert answer.status_code == 200, answer.text
        assert "<RetCode>0</RetCode>" in answer.text.replace(" ", ""), answer.text


def test_vendor_fleet_every_device_answers_its_documented_api(sim_fleet):
    assert {d.vendor for d in sim_fleet.devices} == set(VENDORS)
    with httpx.Client(timeout=10, trust_env=False) as client:
        for device in sim_fleet.devices:
            _probe(client, device)


def test_vendor_fleet_with_thirty_devices_answers_through_the_drivers():
    devices = generate_manifest(30, seed=56, base_address=loopback_base(76))

    async def poll() -> list[object]:
        async def one(device: SimDevice) -> object:
            async with driver_for(device) as driver:
                return await driver.status()

        return await asyncio.gather(*(one(d) for d in devices))

    with FleetThread(devices, control_port=0):
        statuses = asyncio.run(poll())
        assert all(s.online for s in statuses)

        async def pinned() -> None:
            for device in (d for d in devices if d.https_port):
                async with driver_for(device, tls=True) as driver:
                    await driver.status()

        asyncio.run(pinned())


def test_vendor_fleet_refuse_fault_reaches_the_driver(sim_fleet):
    device = next(d for d in sim_fleet.devices if d.vendor == "halny")

    async def status():
        async with driver_for(device, connect_timeout=2, timeout=5) as driver:
            return await driver.status()

    sim_fleet.set_faults(device.serial, refuse=True)
    try:
        with pytest.raises(DeviceUnreachable):
            asyncio.run(status())
    finally:
        sim_fleet.set_faults(device.serial, refuse=False)
    assert asyncio.run(status()).online


def test_command_line_serves_writes_manifest_and_stops_on_sigterm(tmp_path):
    out = tmp_path / "manifest.json"
    base = loopback_base(77)
    process = fleet_process(
        "--devices",
        "9",
        "--seed",
        "4",
        "--base-address",
        base,
        "--control-port",
        "0",
        "--out",
        str(out),
    )
    try:
        lines = [process.stdout.readline().strip() for _ in range(2)]
        assert lines[0] == f"manifest: {out}", (lines, process.stderr.read() if process.poll() is not None else "")
        assert lines[1].startswith("fleet ready: 9 devices (halny "), lines
        document = read_manifest_document(out)
        devices = load_manifest(out)
        assert len(devices) == 9 and document["control_url"].startswith("http://127.0.0.1:")
        assert all(d.extra["tls_fingerprint_sha256"] for d in devices if d.https_port)
        assert ipaddress.IPv4Address(devices[0].address) == ipaddress.IPv4Address(base)
        with httpx.Client(timeout=10, trust_env=False) as client:
            for device in devices:
                _probe(client, device)
            assert len(client.get(f"{document['control_url']}/devices").json()["devices"]) == 9
    finally:
        process.send_signal(signal.SIGTERM)
        out_text, err_text = process.communicate(timeout=30)
    assert process.returncode == 0, err_text
    assert "fleet stopped" in out_text


def test_fleet_thread_sets_the_timeout_fault(sim_fleet):
    """``timeout`` is a fault name; FleetThread must pass it through, not eat it."""
    serial = sim_fleet.devices[0].serial
    try:
        device = sim_fleet.set_faults(serial, timeout=True)
        assert device["faults"]["timeout"] is True
    finally:
        sim_fleet.reset_faults(serial)
