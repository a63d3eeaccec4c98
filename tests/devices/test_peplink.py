"""Peplink driver against the Peplink simulator, over real loopback sockets.

Every test starts its own simulated router on a 127.20.0.x address (HTTP and
HTTPS with a fresh self-signed certificate) and drives it with the real
driver, or with plain httpx where the wire format itself is under test.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import socket
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from devices.drivers.base import (
    CAP_APPLY,
    CAP_CLIENTS,
    CAP_FACTORY_RESET,
    CAP_READ_CONFIG,
    CAP_REBOOT,
    CAP_SIGNAL,
    ConfigSection,
    DeviceAuthError,
    DeviceConfig,
    DeviceEndpoint,
    DeviceProtocolError,
    DeviceRejected,
    DeviceTimeout,
    DeviceUnreachable,
    Unsupported,
)
from devices.drivers.peplink import PeplinkDriver
from simulators.base import RunningDevice, SimDevice
from simulators.cpe.peplink import PeplinkSimulator

USERNAME = "admin"
PASSWORD = "noc-Secret-42"
_host_numbers = itertools.count(10)

MakeDevice = Callable[..., Awaitable[RunningDevice]]


def _free_port(address: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


@pytest.fixture
async def make_device() -> AsyncIterator[MakeDevice]:
    started: list[RunningDevice] = []

    async def make(model: str = "MAX BR1 Pro 5G", **extra: Any) -> RunningDevice:
        number = next(_host_numbers) % 250 + 2
        address = f"127.20.0.{number}"
        device = SimDevice(
            vendor="peplink",
            model=model,
            serial=f"1824-ABCD-{number:04d}",
            mac=f"00:1A:DD:BE:{number:02X}:10",
            address=address,
            port=_free_port(address),
            https_port=_free_port(address),
            username=USERNAME,
            password=PASSWORD,
            seed=number,
            extra=extra,
        )
        running = RunningDevice(PeplinkSimulator(device))
        await running.start()
        started.append(running)
        return running

    yield make
    for running in started:
        # A fault test may leave a handler asleep; do not wait a minute for it.
        if running.runner is not None:
            running.runner._shutdown_timeout = 0.2
        await running.stop()


def sim_of(running: RunningDevice) -> PeplinkSimulator:
    assert isinstance(running.simulator, PeplinkSimulator)
    return running.simulator


def endpoint(running: RunningDevice, scheme: str = "http", **overrides: Any) -> DeviceEndpoint:
    device = running.device
    values: dict[str, Any] = {
        "address": device.address,
        "port": device.https_port if scheme == "https" else device.port,
        "scheme": scheme,
        "username": USERNAME,
        "password": PASSWORD,
        "connect_timeout": 2.0,
        "timeout": 3.0,
    }
    if scheme == "https" and "verify_tls" not in overrides and "fingerprint_sha256" not in overrides:
        values["ca_pem"] = running.cert_pem.decode()
    values.update(overrides)
    return DeviceEndpoint(**values)


def fingerprint(running: RunningDevice) -> str:
    der = ssl.PEM_cert_to_DER_cert(running.cert_pem.decode())
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


async def login(client: httpx.AsyncClient, *, form: bool = False) -> None:
    credentials = {"username": USERNAME, "password": PASSWORD}
    response = (
        await client.post("/api/login", data=credentials) if form else await client.post("/api/login", json=credentials)
    )
    assert response.json() == {"stat": "ok", "response": {"permission": {"GET": 1, "POST": 1}}}


def raw_client(running: RunningDevice) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=f"http://{running.device.address}:{running.device.port}", trust_env=False)


# ---------------------------------------------------------------------------
# Sessions and TLS
# ---------------------------------------------------------------------------


async def test_http_session_uses_pauth_cookie_and_logs_out_on_close(make_device: MakeDevice) -> None:
    running = await make_device()
    sim = sim_of(running)
    driver = PeplinkDriver(endpoint(running))
    status = await driver.status()
    assert status.online and status.firmware == sim.firmware
    assert [s.cookie for s in sim.sessions.values()] == ["pauth"]
    await driver.close()
    assert sim.stats["logouts"] == 1
    assert sim.sessions == {}


@pytest.mark.parametrize("trust", ["ca_pem", "fingerprint", "no_verify"])
async def test_https_session_uses_bauth_cookie(make_device: MakeDevice, trust: str) -> None:
    running = await make_device()
    overrides: dict[str, Any] = {
        "ca_pem": {},
        "fingerprint": {"fingerprint_sha256": fingerprint(running)},
        "no_verify": {"verify_tls": False},
    }[trust]
    async with PeplinkDriver(endpoint(running, "https", **overrides)) as driver:
        info = await driver.info()
        assert info.firmware == sim_of(running).firmware
        assert [s.cookie for s in sim_of(running).sessions.values()] == ["bauth"]


async def test_https_wrong_fingerprint_is_auth_error_before_credentials_leave(make_device: MakeDevice) -> None:
    running = await make_device()
    async with PeplinkDriver(endpoint(running, "https", fingerprint_sha256="ab" * 32)) as driver:
        with pytest.raises(DeviceAuthError, match="fingerprint"):
            await driver.status()
    # The pin is checked on a pre-login request: the password never reached the impostor.
    assert sim_of(running).stats["logins"] == 0


async def test_https_default_verification_rejects_self_signed_certificate(make_device: MakeDevice) -> None:
    running = await make_device()
    ep = endpoint(running, "https", ca_pem=None)
    async with PeplinkDriver(ep) as driver:
        with pytest.raises(DeviceAuthError, match="TLS certificate not trusted"):
            await driver.status()


async def test_cookie_of_one_scheme_is_not_accepted_on_the_other(make_device: MakeDevice) -> None:
    running = await make_device()
    async with raw_client(running) as client:
        await login(client)
        session = client.cookies["pauth"]
    ca = ssl.create_default_context(cadata=running.cert_pem.decode())
    ca.check_hostname = False
    base = f"https://{running.device.address}:{running.device.https_port}"
    async with httpx.AsyncClient(base_url=base, verify=ca, trust_env=False) as client:
        response = await client.get("/api/status.wan.connection", headers={"Cookie": f"bauth={session}"})
    assert response.json() == {"stat": "fail", "code": 401, "message": "Unauthorized"}


@pytest.mark.parametrize(
    ("call", "counter"),
    [
        # status.* answers HTTP 200 + {"stat": "fail", "code": 401}
        (lambda d: d.status(), "unauthorized_envelope"),
        # cmd.* answers a plain HTTP 401 (default unauthorized_http_prefixes)
        (lambda d: d.access_point(), "unauthorized_http"),
    ],
    ids=["envelope-401", "http-401"],
)
async def test_expired_session_relogs_in_exactly_once(make_device: MakeDevice, call: Any, counter: str) -> None:
    running = await make_device(session_ttl_s=600)
    sim = sim_of(running)
    async with PeplinkDriver(endpoint(running)) as driver:
        await call(driver)
        assert sim.stats["logins"] == 1
        sim.advance(601)  # the router's idle timeout passes
        await call(driver)
        assert sim.stats["logins"] == 2
        assert sim.stats[counter] == 1
        assert sim.stats["unauthorized"] == 1
        await call(driver)  # the new session keeps working
        assert sim.stats["logins"] == 2


async def test_session_used_within_idle_timeout_stays_alive(make_device: MakeDevice) -> None:
    running = await make_device(session_ttl_s=600)
    sim = sim_of(running)
    async with PeplinkDriver(endpoint(running)) as driver:
        for _ in range(3):
            await driver.access_point()
            sim.advance(400)  # each use renews the idle timeout
        assert sim.stats["logins"] == 1


async def test_refused_again_after_relogin_is_auth_error(make_device: MakeDevice) -> None:
    # Every session expires at once: login works, the request is refused,
    # the one re-login works, the retried request is refused again.
    running = await make_device(session_ttl_s=0)
    sim = sim_of(running)
    async with PeplinkDriver(endpoint(running)) as driver:
        with pytest.raises(DeviceAuthError, match="renewed"):
            await driver.status()
    assert sim.stats["logins"] == 2


async def test_wrong_password_is_auth_error(make_device: MakeDevice) -> None:
    running = await make_device()
    async with PeplinkDriver(endpoint(running, password="wrong")) as driver:
        with pytest.raises(DeviceAuthError, match="login refused"):
            await driver.status()


# ---------------------------------------------------------------------------
# Client-credential tokens
# ---------------------------------------------------------------------------


async def _create_client(running: RunningDevice, scope: str = "api") -> dict[str, Any]:
    async with PeplinkDriver(endpoint(running)) as admin:
        created = await admin.create_api_client("NOC portal", scope)
        assert [c["clientId"] for c in await admin.api_clients()] == [created["clientId"]]
    assert set(created) == {"name", "clientId", "clientSecret", "confidential", "createTimestamp", "scope"}
    return created


async def test_token_mode_passes_access_token_and_regrants_after_expiry(make_device: MakeDevice) -> None:
    running = await make_device(token_ttl_s=3600)
    sim = sim_of(running)
    created = await _create_client(running)
    logins = sim.stats["logins"]
    driver = PeplinkDriver(endpoint(running), client_id=created["clientId"], client_secret=created["clientSecret"])
    status = await driver.status()
    assert status.wan and sim.stats["grants"] == 1
    assert len(sim.tokens) == 1
    sim.advance(3601)  # the token expires on the router
    await driver.set_access_point(True)  # a POST, token still in the query string
    assert sim.stats["grants"] == 2
    assert sim.stats["logins"] == logins  # no username/password involved
    await driver.close()
    assert sim.tokens == {}  # self-revoked on close


async def test_token_renewed_before_expires_in(make_device: MakeDevice) -> None:
    running = await make_device(token_ttl_s=1)
    sim = sim_of(running)
    created = await _create_client(running)
    async with PeplinkDriver(
        endpoint(running), client_id=created["clientId"], client_secret=created["clientSecret"]
    ) as d:
        await d.access_point()
        await asyncio.sleep(0.95)  # past expiresIn minus the safety margin
        await d.access_point()
        assert sim.stats["grants"] == 2
        assert sim.stats["unauthorized"] == 0  # renewed proactively, nothing was refused


async def test_read_only_token_cannot_write_and_bad_secret_is_refused(make_device: MakeDevice) -> None:
    running = await make_device()
    created = await _create_client(running, "api.read-only")
    async with PeplinkDriver(
        endpoint(running), client_id=created["clientId"], client_secret=created["clientSecret"]
    ) as d:
        assert (await d.access_point())["support"] is True
        with pytest.raises(DeviceAuthError):
            await d.set_access_point(False)
    async with PeplinkDriver(endpoint(running), client_id=created["clientId"], client_secret="0" * 32) as d:
        with pytest.raises(DeviceAuthError, match="client credentials"):
            await d.status()


# ---------------------------------------------------------------------------
# Reads
# ---------------------------------------------------------------------------


async def test_status_reports_wans_and_disabled_wan_has_no_ip_or_priority(make_device: MakeDevice) -> None:
    running = await make_device()
    async with PeplinkDriver(endpoint(running)) as driver:
        status = await driver.status()
        raw = await driver.wan_connections()
    by_type = {w.type: w for w in status.wan}
    assert set(by_type) == {"ethernet", "cellular", "wireless"}
    cellular = by_type["cellular"]
    assert cellular.up and cellular.enabled and cellular.state == "Connected"
    assert cellular.ip and cellular.gateway and cellular.priority is not None and cellular.uptime_s > 0
    assert cellular.extra["cellular"]["carrier"]["name"]
    wifi = by_type["wireless"]
    assert not wifi.enabled and not wifi.up and wifi.state == "Disabled"
    assert wifi.ip is None and wifi.priority is None
    assert "ip" not in raw[wifi.id] and "priority" not in raw[wifi.id]
    assert raw["order"] == [int(w.id) for w in status.wan]


async def test_cellular_only_device_and_lite_on_balance(make_device: MakeDevice) -> None:
    br1 = await make_device("MAX BR1", wan_count=1, wifi_wan=False)
    async with PeplinkDriver(endpoint(br1)) as driver:
        assert [w.type for w in (await driver.status()).wan] == ["cellular"]
        # "lite" has no effect on MAX devices
        assert "mac" in (await driver.wan_connections(lite=True))["1"]
    balance = await make_device("Balance 20X")
    async with PeplinkDriver(endpoint(balance)) as driver:
        lite = await driver.wan_connections([1], lite=True)
        assert list(lite["order"]) == [1] and "ip" in lite["1"] and "mac" not in lite["1"]


async def test_signal_is_cellular_reading_that_drifts(make_device: MakeDevice) -> None:
    running = await make_device()
    async with PeplinkDriver(endpoint(running)) as driver:
        readings = [await driver.signal() for _ in range(5)]
        raw = await driver.wan_signal(info_types=["band"])
    first = readings[0]
    assert first is not None and first.kind == "cellular"
    assert first.carrier == sim_of(running).carrier["name"] and first.technology == "LTE"
    for reading in readings:
        assert -120 <= reading.rsrp <= -70 and -5 <= reading.sinr <= 30
        assert reading.rsrq is not None and reading.rssi is not None
    assert len({r.rsrp for r in readings} | {r.sinr for r in readings}) > 2  # readings move
    assert raw["1"] is None  # "If the WAN is not cellular, modem or Wi-Fi, null will be show"
    assert set(raw["2"]) == {"band"}


async def test_weak_signal_devices_stay_at_the_cell_edge(make_device: MakeDevice) -> None:
    running = await make_device("MAX BR1", signal="weak")
    async with PeplinkDriver(endpoint(running)) as driver:
        readings = [await driver.signal() for _ in range(10)]
    assert all(r is not None and r.rsrp <= -108 and r.sinr <= 3 for r in readings)


async def test_allowance_usage_grows(make_device: MakeDevice) -> None:
    running = await make_device()
    sim = sim_of(running)
    async with PeplinkDriver(endpoint(running)) as driver:
        before = await driver.wan_allowance([2])
        sim.started -= 3600  # an hour of traffic
        after = await driver.wan_allowance([2])
        ethernet = await driver.wan_allowance([1])
    assert before["order"] == [2] and before["2"]["order"] == [1, 2]
    sim1 = before["2"]["1"]
    assert sim1["enable"] is True and sim1["unit"] == "MB" and sim1["limit"] == 20480
    assert after["2"]["1"]["usage"] > sim1["usage"]
    assert before["2"]["2"] == {"enable": False}
    assert ethernet["1"] == {"enable": False}


async def test_clients_carry_documented_fields_and_come_and_go(make_device: MakeDevice) -> None:
    running = await make_device()
    async with PeplinkDriver(endpoint(running)) as driver:
        seen = [await driver.clients() for _ in range(12)]
        raw = await driver.client_list()
        wireless_only = await driver.client_list(connection_types=["wireless"], active_only=True)
    clients = seen[0]
    assert clients and all(c.mac and c.ip and c.name for c in clients)
    for item in raw:
        if not item["active"]:
            assert "connectionType" not in item  # absent for inactive clients
    wireless = [c for c in clients if c.connection_type == "wireless"]
    for client in wireless:
        assert client.ssid and client.signal_strength is not None and 1 <= client.signal_level <= 5
    assert all(item["connectionType"] == "wireless" and item["active"] for item in wireless_only)
    states = {tuple((c.mac, c.active) for c in snapshot) for snapshot in seen}
    assert len(states) > 1  # clients come and go


async def test_lan_pepvpn_firmware_location(make_device: MakeDevice) -> None:
    running = await make_device()
    async with PeplinkDriver(endpoint(running)) as driver:
        lan = await driver.lan_profiles()
        vpn = await driver.pepvpn_status(info_types=["profile", "peer", "tunnel"], tunnel_peers=["1-1"])
        vpn_lite = await driver.pepvpn_status(info_types=["profile"], lite=True)
        firmware = await driver.firmware()
        location = await driver.location()
    assert lan["order"] == [0, 1] and lan["1"]["vlanId"] == 10 and "vlanId" not in lan["0"]
    assert vpn["profile"]["1"]["status"] == "CONNECTED" and vpn["peer"][0]["peerId"] == "1-1"
    assert vpn["tunnel"]["order"] == ["1-1"] and "overall" in vpn["tunnel"]["1-1"]
    assert set(vpn_lite) == {"profile"} and "status" not in vpn_lite["profile"]["1"]
    assert firmware["order"] == [1, 2] and firmware["2"]["inUse"] is True
    assert location["gps"] is True and -90 <= location["location"]["latitude"] <= 90

    balance = await make_device("Balance 20X")
    async with PeplinkDriver(endpoint(balance)) as driver:
        with pytest.raises(DeviceRejected) as info:
            await driver.location()  # no GPS module: documented to fail
    assert not info.value.retryable


# ---------------------------------------------------------------------------
# Configuration: pending vs running
# ---------------------------------------------------------------------------


async def test_wan_config_write_is_pending_until_apply(make_device: MakeDevice) -> None:
    running = await make_device()
    async with PeplinkDriver(endpoint(running)) as driver:
        answer = await driver.update_wan_config(
            [{"id": 1, "name": "Fibre", "connection": {"routingMode": "IP Forwarding", "priority": 2}}]
        )
        assert answer["1"]["name"] == "Fibre"  # the written (pending) object comes back
        assert (await driver.wan_config([1]))["1"]["name"] == "WAN"  # GET shows running
        assert (await driver.status()).wan[0].name == "WAN"
        await driver.apply_config()
        running_cfg = (await driver.wan_config([1], info_types=["connection"]))["1"]
        assert running_cfg["name"] == "Fibre"
        assert running_cfg["connection"]["mode"] == "IP Forwarding" and running_cfg["connection"]["priority"] == 2
        assert "healthcheck" not in running_cfg  # infoType filter
        assert (await driver.status()).wan[0].name == "Fibre"


async def test_wan_priority_pending_and_instant(make_device: MakeDevice) -> None:
    running = await make_device()
    async with PeplinkDriver(endpoint(running)) as driver:
        answer = await driver.set_wan_priority([{"connId": 2, "priority": 1}, {"connId": 1, "priority": 2}])
        assert answer == {
            "2": {"name": "Cellular", "priority": 1, "enable": True},
            "1": {"name": "WAN", "priority": 2, "enable": True},
            "order": [2, 1],
        }
        assert {w.id: w.priority for w in (await driver.status()).wan if w.enabled} == {"1": 1, "2": 2}
        await driver.discard_config()
        assert {w.id: w.priority for w in (await driver.status()).wan if w.enabled} == {"1": 1, "2": 2}
        await driver.set_wan_priority([{"connId": 3, "enable": True, "priority": 3}], instant=True)
        wifi = (await driver.status()).wan[2]
        assert wifi.enabled and wifi.priority == 3 and wifi.ip
        # An enabled Wi-Fi WAN reports its uplink and shows up as connected in a scan.
        assert wifi.extra["wireless"]["ssid"] == "HOME-5G"
        signal = (await driver.wan_signal([3]))["3"]
        assert signal["virtualType"] == "wireless" and signal["wifi"]["ssid"] == "HOME-5G"
        assert -100 < signal["signal"]["strength"] < 0
        scan = await driver.wifi_scan(3, info_type="status")
        assert [ap["ssid"] for ap in scan if ap["status"]["connected"]] == ["HOME-5G"]


async def test_ssid_set_discard_and_apply(make_device: MakeDevice) -> None:
    running = await make_device()
    sim = sim_of(running)
    async with PeplinkDriver(endpoint(running)) as driver:
        original = await driver.ssid_profiles([1])
        await driver.update_ssid_profile(1, {"name": "Shop WiFi", "security": {"wpa2Personal": {"key": "NewKey-2024"}}})
        assert (await driver.ssid_profiles([1])) == original
        await driver.discard_config()
        assert sim.pending is None
        await driver.apply_config()
        assert (await driver.ssid_profiles([1]))["1"]["name"] == original["1"]["name"]
        await driver.update_ssid_profile(1, {"name": "Shop WiFi", "security": {"wpa2Personal": {"key": "NewKey-2024"}}})
        await driver.apply_config()
        profile = (await driver.ssid_profiles([1]))["1"]
        assert profile["name"] == "Shop WiFi" and profile["security"]["wpa2Personal"]["key"] == "NewKey-2024"
        with pytest.raises(DeviceRejected, match="key"):
            await driver.update_ssid_profile(1, {"security": {"wpa2Personal": {"key": "short"}}})


async def test_apply_writes_sections_then_applies_and_read_config_returns_running(make_device: MakeDevice) -> None:
    running = await make_device()
    sim = sim_of(running)
    steps: list[tuple[str, str]] = []
    desired = DeviceConfig(
        [
            ConfigSection("config.wan.connection/2", {"connection": {"priority": 1}, "name": "LTE"}),
            ConfigSection("config.ssid.profile/2", {"name": "Guests", "vlanId": 20, "broadcast": False}),
        ]
    )
    async with PeplinkDriver(endpoint(running)) as driver:
        result = await driver.apply(desired, on_step=lambda level, msg: steps.append((level, msg)))
        config = await driver.read_config()
        one = await driver.read_config(["config.ssid.profile/2"])
    assert result.written == result.applied == ["config.wan.connection/2", "config.ssid.profile/2"]
    assert sim.stats["applies"] == 1 and sim.pending is None
    sections = config.as_dict()
    assert set(sections) == {
        "config.wan.connection/1",
        "config.wan.connection/2",
        "config.wan.connection/3",
        "config.ssid.profile/1",
        "config.ssid.profile/2",
    }
    assert sections["config.wan.connection/2"]["name"] == "LTE"
    assert sections["config.wan.connection/2"]["connection"]["priority"] == 1
    assert sections["config.ssid.profile/2"]["vlanId"] == 20 and sections["config.ssid.profile/2"]["broadcast"] is False
    assert one.as_dict() == {"config.ssid.profile/2": sections["config.ssid.profile/2"]}
    assert steps[-1] == ("info", "cmd.config.apply")


async def test_apply_failure_part_way_discards_pending_and_names_the_step(make_device: MakeDevice) -> None:
    running = await make_device()
    sim = sim_of(running)
    desired = DeviceConfig(
        [
            ConfigSection("config.wan.connection/1", {"name": "Half-written"}),
            ConfigSection("config.ssid.profile/1", {"security": {"wpa2Personal": {"key": "short"}}}),
        ]
    )
    async with PeplinkDriver(endpoint(running)) as driver:
        before = await driver.read_config()
        with pytest.raises(DeviceRejected) as info:
            await driver.apply(desired)
        after = await driver.read_config()
    assert info.value.step == "config.ssid.profile/1" and not info.value.retryable
    assert sim.stats["discards"] == 1 and sim.stats["applies"] == 0
    assert sim.pending is None and after == before


async def test_apply_rejects_unknown_section_before_writing(make_device: MakeDevice) -> None:
    running = await make_device()
    sim = sim_of(running)
    desired = DeviceConfig([ConfigSection("config.ssid.profile/1", {"name": "x"}), ConfigSection("sip/1", {})])
    async with PeplinkDriver(endpoint(running)) as driver:
        with pytest.raises(Unsupported) as info:
            await driver.apply(desired)
    assert info.value.step == "sip/1"
    assert sim.stats["POST config.ssid.profile"] == 0


# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------


async def test_access_point_sms_and_sim_commands(make_device: MakeDevice) -> None:
    running = await make_device()
    sim = sim_of(running)
    async with PeplinkDriver(endpoint(running)) as driver:
        assert await driver.access_point() == {"support": True, "enable": True, "wanDependent": False}
        assert (await driver.set_access_point(False))["enable"] is False
        assert (await driver.access_point())["enable"] is False

        inbox = await driver.sms_inbox(2)
        assert inbox["connId"] == 2 and inbox["simId"] == 1
        part = inbox["sms"][1]["message"][0]
        assert set(part) >= {"id", "date", "timestamp", "length", "message"}
        await driver.send_sms("+48600100200", "Site visit at 10:00", conn_id=2)
        assert sim.sent_sms == [{"connId": 2, "address": "+48600100200", "content": "Site visit at 10:00"}]
        with pytest.raises(DeviceRejected, match="address"):
            await driver.send_sms("0048600100200", "bad")
        with pytest.raises(DeviceRejected):
            await driver.sms_inbox(1)  # ethernet WAN has no SIM

        assert await driver.cellular_sims(2) == {"enabledSim": [1, 2], "preferredSim": 1}
        await driver.set_cellular_sims(2, enabled_sim=[2], preferred_sim=None)
        assert await driver.cellular_sims(2) == {"enabledSim": [2], "preferredSim": None}


async def test_carrier_scan_and_wifi_scan(make_device: MakeDevice) -> None:
    running = await make_device(carrier_scan_s=0.2)
    async with PeplinkDriver(endpoint(running)) as driver:
        started = await driver.carrier_scan(2, start=True)
        assert started["scanStatus"] == "scanning" and started["list"]
        assert started["reference"]["activeSim"]["simId"] == 1
        await asyncio.sleep(0.25)
        done = await driver.carrier_scan(2)
        assert done["scanStatus"] == "done"
        assert {"name", "mobileType", "mcc", "mnc", "pcs"} <= set(done["list"][0])
        with pytest.raises(DeviceRejected):
            await driver.carrier_scan(1)  # not a cellular WAN

        found = await driver.wifi_scan(3, info_type="status", sort_by="signal", sort_order="desc")
        strengths = [ap["signalStrength"] for ap in found]
        assert strengths == sorted(strengths, reverse=True)
        assert all(ap["status"] == {"inUse": False, "connected": False} and ap["bssid"] for ap in found)


async def test_reboot_resets_cellular_module_and_device_comes_back(make_device: MakeDevice) -> None:
    running = await make_device(reboot_s=0.4)
    sim = sim_of(running)
    driver = PeplinkDriver(endpoint(running, timeout=1.0))
    assert driver.capabilities == {CAP_REBOOT, CAP_APPLY, CAP_READ_CONFIG, CAP_SIGNAL, CAP_CLIENTS}
    assert not driver.supports(CAP_FACTORY_RESET)
    await driver.status()
    await driver.reboot()
    assert sim.stats["cellular_resets"] == 1
    with pytest.raises(DeviceUnreachable):
        await driver.status()
    await asyncio.sleep(0.45)
    status = await driver.status()  # a fresh session on the rebooted router
    assert sim.stats["logins"] == 2
    assert next(w for w in status.wan if w.type == "cellular").uptime_s < 5
    await driver.close()


async def test_reboot_unsupported_without_cellular_module(make_device: MakeDevice) -> None:
    running = await make_device()
    sim = sim_of(running)
    sim.wan_kind[2] = "ethernet"  # a router whose only radio is gone
    async with PeplinkDriver(endpoint(running)) as driver:
        with pytest.raises(Unsupported):
            await driver.reboot()


# ---------------------------------------------------------------------------
# The wire format, spoken directly
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("form", [False, True], ids=["json", "form"])
async def test_login_accepts_json_and_form_bodies(make_device: MakeDevice, form: bool) -> None:
    running = await make_device()
    async with raw_client(running) as client:
        await login(client, form=form)
        response = await client.get("/api/status.lan.profile")
    assert response.json()["stat"] == "ok"


@pytest.mark.parametrize(
    "query",
    ["id=1&id=3", "id=1,3", "id=1%203", "id=1+3", "id[]=1&id[]=3"],
    ids=["repeated", "comma", "space", "plus", "brackets"],
)
async def test_list_parameters_in_every_form(make_device: MakeDevice, query: str) -> None:
    running = await make_device()
    async with raw_client(running) as client:
        await login(client)
        response = await client.get(f"/api/status.wan.connection?{query}&unknownField=1")
    assert response.json()["response"]["order"] == [1, 3]


async def test_post_bodies_json_lists_form_json_text_and_wrapped_scalars(make_device: MakeDevice) -> None:
    running = await make_device()
    sim = sim_of(running)
    async with raw_client(running) as client:
        await login(client)
        # The seed's own example wraps every scalar in a one-element array.
        scan = await client.post(
            "/api/cmd.carrier.scan", json={"action": ["start"], "connId": ["2"], "reference": ["yes"], "extra": 1}
        )
        assert scan.json()["response"]["scanStatus"] == "scanning"
        # Form fields: a nested object travels as JSON text, numbers as strings.
        form = await client.post(
            "/api/config.ssid.profile",
            data={"action": "update", "id": "2", "broadcast": "false", "security": '{"policy": "WPA2 Personal"}'},
        )
        body = form.json()
        assert body["stat"] == "ok" and body["response"]["2"]["broadcast"] is False
        assert body["response"]["2"]["security"]["policy"] == "WPA2 Personal"
        # Repeated form fields and a comma list are both lists.
        await client.post("/api/cmd.wan.cellular", data={"connId": "2", "enabledSim": ["1", "2"]})
        assert sim.cellular_sims["enabledSim"] == [1, 2]
        await client.post("/api/cmd.wan.cellular", json={"connId": 2, "enabledSim": "2", "preferredSim": 2})
        assert sim.cellular_sims == {"enabledSim": [2], "preferredSim": 2}
        bad = await client.post(
            "/api/cmd.wan.cellular", content=b"{not json", headers={"Content-Type": "application/json"}
        )
        assert bad.json() == {"stat": "fail", "code": 400, "message": "Invalid JSON body"}
        missing = await client.get("/api/status.nothing")
        assert missing.json()["stat"] == "fail" and missing.json()["code"] == 404


async def test_access_token_as_query_parameter_on_get_and_post(make_device: MakeDevice) -> None:
    running = await make_device(token_ttl_s=172800)
    async with raw_client(running) as client:
        await login(client)
        created = (
            await client.post("/api/auth.client", json={"action": "add", "name": "Client 1", "scope": "api"})
        ).json()
        client_id, secret = created["response"]["clientId"], created["response"]["clientSecret"]
    async with raw_client(running) as client:
        grant = (
            await client.post("/api/auth.token.grant", json={"clientId": client_id, "clientSecret": secret})
        ).json()
        assert grant["stat"] == "ok"
        assert grant["response"]["authorizationType"] == 3 and grant["response"]["expiresIn"] == 172800
        token = grant["response"]["accessToken"]
        assert (await client.get("/api/status.wan.connection")).json()["code"] == 401
        got = await client.get(f"/api/status.wan.connection?accessToken={token}&id=2")
        assert got.json()["response"]["order"] == [2]
        posted = await client.post(f"/api/cmd.ap?accessToken={token}", data={"enable": "false"})
        assert posted.json()["response"]["enable"] is False
        # Tokens carry no admin permission.
        assert (await client.get(f"/api/auth.client?accessToken={token}")).json()["code"] == 403


async def test_unauthorized_style_is_configurable(make_device: MakeDevice) -> None:
    running = await make_device(unauthorized_http_prefixes=["status.wan"])
    async with raw_client(running) as client:
        wan = await client.get("/api/status.wan.connection")
        lan = await client.get("/api/status.lan.profile")
        cmd = await client.get("/api/cmd.ap")
    assert wan.status_code == 401 and wan.json()["code"] == 401
    assert lan.status_code == 200 and lan.json() == {"stat": "fail", "code": 401, "message": "Unauthorized"}
    assert cmd.status_code == 200


# ---------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------


async def test_fault_latency_slows_but_answers(make_device: MakeDevice) -> None:
    running = await make_device()
    running.device.faults.latency_ms = 150
    async with PeplinkDriver(endpoint(running)) as driver:
        began = time.monotonic()
        await driver.access_point()  # login + one call
        assert time.monotonic() - began >= 0.3


async def test_fault_timeout_is_device_timeout(make_device: MakeDevice) -> None:
    running = await make_device()
    running.device.faults.timeout = True
    async with PeplinkDriver(endpoint(running, timeout=0.3, connect_timeout=0.3)) as driver:
        with pytest.raises(DeviceTimeout) as info:
            await driver.status()
    assert info.value.retryable


async def test_fault_refuse_via_unbind_is_unreachable(make_device: MakeDevice) -> None:
    running = await make_device()
    running.device.faults.refuse = True
    await running.unbind()
    async with PeplinkDriver(endpoint(running)) as driver:
        with pytest.raises(DeviceUnreachable) as info:
            await driver.status()
    assert info.value.retryable


@pytest.mark.parametrize("fault", ["drop", "rebooting"])
async def test_fault_dropped_or_rebooting_is_unreachable(make_device: MakeDevice, fault: str) -> None:
    running = await make_device()
    async with PeplinkDriver(endpoint(running)) as driver:
        await driver.access_point()
        if fault == "drop":
            running.device.faults.drop = True
        else:
            running.device.faults.update({"rebooting_for_s": 30})
        with pytest.raises(DeviceUnreachable):
            await driver.status()
        began = time.monotonic()
    # close() does not try to log out of a router that stopped answering.
    assert time.monotonic() - began < 0.5
    assert sim_of(running).stats["logouts"] == 0


async def test_fault_http_503_is_retryable_rejection(make_device: MakeDevice) -> None:
    running = await make_device()
    running.device.faults.http_status = 503
    async with PeplinkDriver(endpoint(running)) as driver:
        with pytest.raises(DeviceRejected) as info:
            await driver.status()
    assert info.value.code == 503 and info.value.retryable


async def test_fault_auth_failure_is_auth_error(make_device: MakeDevice) -> None:
    running = await make_device()
    async with PeplinkDriver(endpoint(running)) as driver:
        await driver.status()
        running.device.faults.auth_failure = True
        with pytest.raises(DeviceAuthError):
            await driver.status()  # the session is refused, and so is the re-login
    assert sim_of(running).stats["login_failures"] == 1
    async with raw_client(running) as client:
        response = await client.post("/api/login", json={"username": USERNAME, "password": PASSWORD})
    assert response.json() == {"stat": "fail", "code": 401, "message": "Invalid username or password"}


async def test_fault_malformed_is_protocol_error(make_device: MakeDevice) -> None:
    running = await make_device()
    async with PeplinkDriver(endpoint(running)) as driver:
        await driver.status()
        running.device.faults.malformed = True
        with pytest.raises(DeviceProtocolError):
            await driver.status()
