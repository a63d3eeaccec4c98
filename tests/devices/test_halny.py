"""HALNy ONT driver against the HALNy simulator, over real loopback sockets.

Every test starts its own simulated ONT on a random 127.10.x.y address at the
documented port 48626 and drives the real :class:`HalnyDriver` against it.
The triple-play configuration used throughout is copied from the seed
(``shared/seeds/halny-ont-rest-api-v2-triple-play.txt``) value for value.
"""

from __future__ import annotations

import asyncio
import errno
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import pytest
from aiohttp import web

from devices.drivers.base import (
    CAP_APPLY,
    CAP_CLIENTS,
    CAP_FACTORY_RESET,
    CAP_READ_CONFIG,
    CAP_REBOOT,
    CAP_SIGNAL,
    CAP_SIP,
    ConfigSection,
    DeviceAuthError,
    DeviceConfig,
    DeviceError,
    DeviceProtocolError,
    DeviceRejected,
    DeviceTimeout,
    DeviceUnreachable,
    Unsupported,
)
from devices.drivers.halny import (
    HALNY_API_PORT,
    HALNY_MODELS,
    HalnyDriver,
    HalnyModel,
    apply_node_for,
    config_nodes,
    default_credentials,
    halny_endpoint,
    halny_model,
    is_apply_node,
    normalise_path,
    to_halny_values,
)
from simulators.base import Faults, RunningDevice, SimDevice
from simulators.cpe.halny import HalnySimulator, factory_defaults

# The seed's example ONT: MAC ending 87:80 → password 8780APIpass.
SEED_MAC = "E0:8F:EC:12:87:80"
REBOOT_S = 0.3

# ---------------------------------------------------------------------------
# The seed's configuration, node by node
# ---------------------------------------------------------------------------

WAN1_INTERNET_DHCP = {
    "enabled": "yes",
    "conn_type": "DHCP",
    "mode": "router",
    "service_type": "internet",
    "ip_version": "ipv4",
    "dot1q": "tag",
    "vlan_id": "400",
    "cos": "0",
    "nat_enable": "yes",
}
WAN1_INTERNET_PPPOE = {
    "enabled": "yes",
    "conn_type": "pppoe",
    "mode": "router",
    "service_type": "internet",
    "ip_version": "ipv4",
    "ppp_login": "login",
    "ppp_password": "password123",
    "dot1q": "tag",
    "vlan_id": "400",
    "cos": "0",
    "nat_enable": "yes",
}
WAN2_IPTV_BRIDGE = {
    "enabled": "yes",
    "conn_type": "bridge",
    "mode": "bridge",
    "service_type": "other",
    "ip_version": "ipv4",
    "dot1q": "tag",
    "vlan_id": "200",
    "cos": "5",
}
WAN3_VOICE = {
    "enabled": "yes",
    "conn_type": "dhcp",
    "mode": "router",
    "service_type": "voip",
    "ip_version": "ipv4",
    "dot1q": "tag",
    "vlan_id": "100",
    "cos": "6",
}
WAN1_PORT_BIND = {
    "lan1": "yes",
    "lan2": "yes",
    "lan3": "no",
    "lan4": "no",
    "wifi24_ssid1": "yes",
    "wifi5_ssid1": "yes",
}
WAN2_PORT_BIND = {
    "lan1": "no",
    "lan2": "no",
    "lan3": "yes",
    "lan4": "yes",
    "wifi24_ssid1": "no",
    "wifi5_ssid1": "no",
}
VOIP = {"register_server": "10.192.168.149", "register_port": "5060"}
VOIP_LINE1 = {"enable": "yes", "login": "1100", "password": "1100", "display_name": "test_voip"}
LAN = {
    "dhcp_enable": "yes",
    "ip": "192.168.99.1",
    "netmask": "255.255.255.0",
    "dhcp_lease_time": "7200",
    "dhcp_start_ip": "192.168.99.100",
    "dhcp_end_ip": "192.168.99.120",
    "dns_proxy_type": "manual",
    "dns_primary": "192.168.123.1",
}
WLAN24 = {
    "enable": "yes",
    "mode": "802.11g/n/ax",
    "country": "POLAND",
    "channel": "13",
    "channel_selection": "manual",
    "channel_width": "40MHz",
    "tx_power": "100",
    "min_rssi_sta_connect": "-80",
    "min_rssi_sta_disconnect": "-85",
}
WLAN24_SSID1 = {
    "prefix": "TEST-",
    "ssid_name": "SSID-1",
    "security": "WPA2/WPA3 Personal",
    "encryption": "AES",
    "password": "wifipass",
}
WLAN5 = {
    "enable": "yes",
    "mode": "802.11n/ac/ax",
    "country": "POLAND",
    "channel": "64",
    "channel_selection": "manual",
    "channel_width": "40MHz",
    "tx_power": "60",
    "dfs_enable": "yes",
    "min_rssi_sta_connect": "-80",
    "min_rssi_sta_disconnect": "-85",
}
WLAN5_SSID1 = {
    "prefix": "TEST5-",
    "ssid_name": "SSID-1",
    "security": "WPA2/WPA3 Personal",
    "encryption": "AES",
    "password": "wifipass5",
}
MGMT_WEB = {
    "wan_mgmt_enable": "yes",
    "wan_port": "8080",
    "wan_https_port": "4443",
    "iphost_port": "8081",
    "iphost_https_port": "4444",
    "lan_web_access_enable": "yes",
    "https_access_enable": "yes",
}
MGMT_PASSWORDS = {"admin_password": "admin123", "user_password": "adminnnnnn"}
PORT_FORWARDING_RULE0 = {
    "active": "yes",
    "protocol": "udp",
    "wan_start_port": "4000",
    "wan_end_port": "5000",
    "local_ip": "192.168.99.125",
    "lan_start_port": "1234",
    "name": "TEST",
    "nat_loopback_enabled": "no",
}

TRIPLE_PLAY: list[tuple[str, dict[str, str]]] = [
    ("wan/1", WAN1_INTERNET_DHCP),
    ("wan/2", WAN2_IPTV_BRIDGE),
    ("wan/3", WAN3_VOICE),
    ("wan/1/port_bind", WAN1_PORT_BIND),
    ("wan/2/port_bind", WAN2_PORT_BIND),
    ("voip", VOIP),
    ("voip/line/1", VOIP_LINE1),
    ("lan", LAN),
    ("wlan24", WLAN24),
    ("wlan24/ssid/1", WLAN24_SSID1),
    ("wlan5", WLAN5),
    ("wlan5/ssid/1", WLAN5_SSID1),
    ("management/web", MGMT_WEB),
    ("management/passwords", MGMT_PASSWORDS),
    ("nat_config/port_forwarding_rule/0", PORT_FORWARDING_RULE0),
]
TRIPLE_PLAY_APPLY_NODES = [
    "wan/1/apply",
    "wan/2/apply",
    "wan/3/apply",
    "voip/apply",
    "lan/apply",
    "wlan24/apply",
    "wlan5/apply",
    "management/web/apply",
    "management/passwords/apply",
    "nat_config/port_forwarding_rule/apply",
]

# Every documented node (plus the PPPoE variant of wan/1) with its apply node.
EVERY_NODE: list[tuple[str, dict[str, str], str]] = [
    (path, values, apply_to)
    for (path, values), apply_to in zip(
        [*TRIPLE_PLAY, ("wan/1", WAN1_INTERNET_PPPOE)],
        [
            "wan/1/apply",
            "wan/2/apply",
            "wan/3/apply",
            "wan/1/apply",
            "wan/2/apply",
            "voip/apply",
            "voip/apply",
            "lan/apply",
            "wlan24/apply",
            "wlan24/apply",
            "wlan5/apply",
            "wlan5/apply",
            "management/web/apply",
            "management/passwords/apply",
            "nat_config/port_forwarding_rule/apply",
            "wan/1/apply",
        ],
        strict=True,
    )
]


def triple_play() -> DeviceConfig:
    return DeviceConfig(sections=[ConfigSection(path, dict(values)) for path, values in TRIPLE_PLAY])


# ---------------------------------------------------------------------------
# Fixtures: one simulated ONT per test on its own loopback address
# ---------------------------------------------------------------------------


@dataclass
class Ont:
    device: SimDevice
    sim: HalnySimulator
    running: RunningDevice
    drivers: list[HalnyDriver] = field(default_factory=list)

    def driver(self, *, timeout: float = 2.0, **endpoint_kw: object) -> HalnyDriver:
        """A driver using the factory credentials derived from the MAC."""
        endpoint = halny_endpoint(self.device.address, mac=self.device.mac, timeout=timeout, **endpoint_kw)
        driver = HalnyDriver(endpoint, model=self.device.model)
        self.drivers.append(driver)
        return driver

    async def close(self) -> None:
        for driver in self.drivers:
            await driver.close()
        await self.running.stop()


async def start_ont(model: str = "HL-4GXV", **extra: object) -> Ont:
    user, password = default_credentials(SEED_MAC)
    device = SimDevice(
        vendor="halny",
        model=model,
        serial="HALN1A2B3C4D",
        mac=SEED_MAC,
        address="127.10.0.1",
        port=HALNY_API_PORT,
        username=user,
        password=password,
        firmware="V5.0.9",
        seed=4242,
        extra={"reboot_s": REBOOT_S, **extra},
    )
    sim = HalnySimulator(device)
    running = RunningDevice(sim)
    # Our own runner so shutdown does not wait 60 s for a handler that the
    # "timeout" fault keeps asleep; RunningDevice.start() reuses it.
    running.runner = web.AppRunner(sim.make_app(), access_log=None, handle_signals=False, shutdown_timeout=0.1)
    await running.runner.setup()
    pick = random.Random()
    for _ in range(50):
        device.address = f"127.10.{pick.randrange(256)}.{pick.randrange(1, 255)}"
        try:
            await running.start()
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            continue
        return Ont(device, sim, running)
    raise RuntimeError("no free loopback address for the simulated ONT")


@pytest.fixture
async def onts() -> AsyncIterator[Callable[..., Awaitable[Ont]]]:
    """Factory: ``await onts("HL-1B")`` starts another ONT, stopped after the test."""
    started: list[Ont] = []

    async def make(model: str = "HL-4GXV", **extra: object) -> Ont:
        ont = await start_ont(model, **extra)
        started.append(ont)
        return ont

    yield make
    for ont in started:
        await ont.close()


@pytest.fixture
async def ont(onts: Callable[..., Awaitable[Ont]]) -> Ont:
    return await onts()


@pytest.fixture
def driver(ont: Ont) -> HalnyDriver:
    return ont.driver()


def raw_client(ont: Ont, *, auth: tuple[str, str] | None = None) -> httpx.AsyncClient:
    """Plain HTTP to the simulator, for answers the driver would never provoke."""
    return httpx.AsyncClient(
        base_url=f"http://{ont.device.address}:{ont.device.port}",
        auth=auth if auth is not None else default_credentials(ont.device.mac),
        trust_env=False,
        timeout=2.0,
    )


# ---------------------------------------------------------------------------
# Pure helpers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mac", "password"),
    [
        ("E0:8F:EC:12:87:80", "8780APIpass"),  # the seed's example
        ("e0:8f:ec:12:ab:cd", "ABCDAPIpass"),  # upper case as printed on the label
        ("E0-8F-EC-12-AB-CD", "ABCDAPIpass"),
        ("e08fec12abcd", "ABCDAPIpass"),
        ("e08f.ec12.abcd", "ABCDAPIpass"),
    ],
)
def test_default_credentials(mac: str, password: str) -> None:
    assert default_credentials(mac) == ("apiuser", password)


@pytest.mark.parametrize("mac", ["", "E0:8F:EC:12:87", "not a mac", "E0:8F:EC:12:87:80:11", "G0:8F:EC:12:87:80"])
def test_default_credentials_rejects_non_macs(mac: str) -> None:
    with pytest.raises(ValueError):
        default_credentials(mac)


def test_endpoint_credentials_win_over_the_mac() -> None:
    assert halny_endpoint("192.0.2.1", mac=SEED_MAC).password == "8780APIpass"
    assert halny_endpoint("192.0.2.1", mac=SEED_MAC).port == 48626
    explicit = halny_endpoint("192.0.2.1", mac=SEED_MAC, username="noc", password="s3cret")
    assert (explicit.username, explicit.password) == ("noc", "s3cret")
    driver = HalnyDriver(explicit, mac=SEED_MAC)
    assert driver.credentials() == ("noc", "s3cret")
    assert HalnyDriver(halny_endpoint("192.0.2.1"), mac=SEED_MAC).credentials() == ("apiuser", "8780APIpass")
    with pytest.raises(DeviceAuthError):
        HalnyDriver(halny_endpoint("192.0.2.1")).credentials()


def test_to_halny_values() -> None:
    values = {"enabled": True, "nat_enable": False, "vlan_id": 400, "cos": 0, "name": "TEST", "x": None, "f": 1.5}
    assert to_halny_values(values) == {
        "enabled": "yes",
        "nat_enable": "no",
        "vlan_id": "400",
        "cos": "0",
        "name": "TEST",
        "x": "",
        "f": "1.5",
    }
    for bad in ([1], {"a": 1}, object()):
        with pytest.raises(TypeError):
            to_halny_values({"field": bad})


@pytest.mark.parametrize(("path", "values", "apply_to"), EVERY_NODE)
def test_apply_node_for_every_documented_node(path: str, values: dict[str, str], apply_to: str) -> None:
    assert apply_node_for(path) == apply_to
    assert apply_node_for(f"/api/v2/{path}/") == apply_to
    assert is_apply_node(apply_to)
    assert not is_apply_node(path)


def test_apply_node_for_numbered_nodes() -> None:
    assert apply_node_for("wan/8/port_bind") == "wan/8/apply"
    assert apply_node_for("voip/line/2") == "voip/apply"
    assert apply_node_for("wlan5/ssid/4") == "wlan5/apply"
    assert apply_node_for("nat_config/port_forwarding_rule/31") == "nat_config/port_forwarding_rule/apply"
    assert normalise_path("/api/v2/wan/1/") == "wan/1"


@pytest.mark.parametrize(
    "path", ["wan/0", "wan/1/apply", "voip/apply", "status/device", "wlan24/ssid/x", "wlan6", "", "system/reboot"]
)
def test_apply_node_for_rejects_other_paths(path: str) -> None:
    with pytest.raises(ValueError):
        apply_node_for(path)


@pytest.mark.parametrize(
    ("name", "lan_ports", "lan_2g5"),
    [
        ("HL-1B", 1, "lan1"),
        ("HL-2BV", 2, "lan2"),
        ("HL-4BX3V-F", 4, "lan4"),
        ("HL-4GMV", 4, None),
        ("HL-4GMV3", 4, None),
        ("HL-4GQV", 4, None),
        ("HL-4GQVS2", 4, None),
        ("HL-4GXV", 4, None),
        ("HL-4GXV-F", 4, None),
        ("HL-4GX3VR", 4, None),
        ("HL-4G2", 4, None),
        ("hl-4bx3v-f", 4, "lan4"),  # operators type model names in any case
    ],
)
def test_model_lan_table(name: str, lan_ports: int, lan_2g5: str | None) -> None:
    model = halny_model(name)
    assert isinstance(model, HalnyModel)
    assert (model.lan_ports, model.lan_2g5) == (lan_ports, lan_2g5)


def test_model_defaults_and_revisions() -> None:
    unknown = halny_model("HL-9ZZ")
    assert (unknown.name, unknown.lan_ports, unknown.lan_2g5, unknown.pots_lines, unknown.wifi5) == (
        "HL-9ZZ",
        4,
        None,
        1,
        True,
    )
    revision = halny_model("HL-4GMV5")  # a newer revision inherits its family's shape
    assert (revision.name, revision.lan_ports, revision.pots_lines) == ("HL-4GMV5", 4, 1)
    assert halny_model("").lan_ports == 4
    assert all(name == m.name for name, m in HALNY_MODELS.items())


def test_config_nodes_follow_the_model() -> None:
    full = config_nodes("HL-4GXV")
    assert full[:2] == ["wan/1", "wan/1/port_bind"]
    assert {"voip", "voip/line/1", "lan", "wlan24/ssid/4", "wlan5", "management/passwords"} <= set(full)
    assert "nat_config/port_forwarding_rule/0" in full
    bridge = config_nodes("HL-1B")
    assert not [n for n in bridge if n.startswith(("voip", "wlan"))]
    assert len(full) == len(set(full))


def test_capabilities() -> None:
    assert HalnyDriver.vendor == "halny"
    assert HalnyDriver.capabilities == {
        CAP_REBOOT,
        CAP_FACTORY_RESET,
        CAP_APPLY,
        CAP_READ_CONFIG,
        CAP_SIGNAL,
        CAP_CLIENTS,
        CAP_SIP,
    }


# ---------------------------------------------------------------------------
# Configuration nodes over the wire
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "values", "apply_to"), EVERY_NODE, ids=[f"{p}:{a}" for p, _, a in EVERY_NODE])
async def test_every_node_written_applied_and_read_back(
    ont: Ont, driver: HalnyDriver, path: str, values: dict[str, str], apply_to: str
) -> None:
    before = await driver.get_node(path)
    assert set(values) <= set(before), "the seed's fields all exist on the node"

    await driver.set_node(path, values)
    assert await driver.get_node(path) == before, "pending until applied"

    await driver.apply_node(path)
    after = await driver.get_node(path)
    assert {k: after[k] for k in values} == values
    assert ont.sim.apply_log == [apply_to]


async def test_write_without_apply_leaves_running_config_unchanged(ont: Ont, driver: HalnyDriver) -> None:
    factory = await driver.get_node("lan")
    await driver.set_node("lan", LAN)
    assert await driver.get_node("lan") == factory
    # Another session (a second NOC operator) sees the same running config.
    assert await ont.driver().get_node("lan") == factory
    assert ont.sim.running["lan"] == factory

    await driver.apply_node("lan/apply")
    assert await driver.get_node("lan") == LAN
    assert ont.sim.running["lan"] == LAN


async def test_apply_of_one_group_leaves_other_groups_pending(ont: Ont, driver: HalnyDriver) -> None:
    await driver.set_node("wan/1", WAN1_INTERNET_DHCP)
    await driver.set_node("wan/2", WAN2_IPTV_BRIDGE)
    await driver.apply_node("wan/1/apply")
    assert (await driver.get_node("wan/1"))["vlan_id"] == "400"
    assert (await driver.get_node("wan/2"))["enabled"] == "no"
    await driver.apply_node("wan/2/apply")
    assert (await driver.get_node("wan/2"))["vlan_id"] == "200"


async def test_set_node_converts_python_values(driver: HalnyDriver) -> None:
    await driver.set_node("wan/4", {"enabled": True, "dot1q": "tag", "vlan_id": 35, "cos": 3, "nat_enable": False})
    await driver.apply_node("wan/4")
    node = await driver.get_node("wan/4")
    assert (node["enabled"], node["vlan_id"], node["cos"], node["nat_enable"]) == ("yes", "35", "3", "no")


async def test_port_forwarding_rule_delete(ont: Ont, driver: HalnyDriver) -> None:
    path = "nat_config/port_forwarding_rule/0"
    await driver.set_node(path, PORT_FORWARDING_RULE0)
    await driver.apply_node(path)
    await driver.delete_node(path)
    assert (await driver.get_node(path))["active"] == "yes", "a delete is pending too"
    await driver.apply_node(path)
    assert await driver.get_node(path) == factory_defaults(ont.device, ont.sim.model)[path]


async def test_full_triple_play_applied_and_read_back(ont: Ont, driver: HalnyDriver) -> None:
    steps: list[tuple[str, str]] = []

    async def on_step(level: str, message: str) -> None:
        steps.append((level, message))

    result = await driver.apply(triple_play(), on_step=on_step)

    assert result.written == [path for path, _ in TRIPLE_PLAY]
    assert result.applied == TRIPLE_PLAY_APPLY_NODES
    # Each apply node exactly once, and only after every write.
    assert ont.sim.apply_log == TRIPLE_PLAY_APPLY_NODES
    messages = [m for _, m in steps]
    assert messages.index("apply wan/1/apply") > messages.index("write nat_config/port_forwarding_rule/0")

    for path, values in TRIPLE_PLAY:
        running = await driver.get_node(path)
        assert {k: running[k] for k in values} == values, path

    config = await driver.read_config([p for p, _ in TRIPLE_PLAY])
    assert [s.path for s in config.sections] == [p for p, _ in TRIPLE_PLAY]
    assert config.as_dict()["wan/1"]["vlan_id"] == "400"

    status = await driver.status()
    wans = {w.id: w for w in status.wan}
    assert wans["1"].up and wans["1"].state == "Connected" and wans["1"].ip and wans["1"].type == "dhcp"
    assert wans["2"].up and wans["2"].type == "bridge" and wans["2"].ip is None  # IPTV bridge has no address
    assert wans["3"].up and wans["3"].ip and wans["3"].ip.startswith("10.")
    assert not wans["4"].enabled and wans["4"].state == "Disabled"
    assert status.sip_lines[0].registered and status.sip_lines[0].account == "1100"
    assert status.sip_lines[0].server == "10.192.168.149"

    clients = await driver.clients()
    assert clients, "the always-on wired host is there"
    assert all(c.ip is None or c.ip.startswith("192.168.99.") for c in clients), "addresses from the new LAN"
    assert {c.ssid for c in clients if c.connection_type == "wireless"} <= {"TEST-SSID-1", "TEST5-SSID-1"}


async def test_pppoe_wan_connects_with_a_session_address(driver: HalnyDriver) -> None:
    await driver.apply(DeviceConfig([ConfigSection("wan/1", WAN1_INTERNET_PPPOE)]))
    wan = await driver.wan_status(1)
    assert (wan.state, wan.type, wan.up) == ("Connected", "pppoe", True)
    assert wan.ip and wan.extra["netmask"] == "255.255.255.255"

    await driver.apply(DeviceConfig([ConfigSection("wan/1", {"ppp_login": ""})]))
    assert (await driver.wan_status(1)).state == "Connecting"


async def test_apply_writes_everything_before_applying_anything(ont: Ont, driver: HalnyDriver) -> None:
    desired = DeviceConfig(
        [
            ConfigSection("lan", LAN),
            ConfigSection("wan/1", {**WAN1_INTERNET_DHCP, "vlan_id": "5000"}),  # out of range
            ConfigSection("wlan24", WLAN24),
        ]
    )
    factory_lan = await driver.get_node("lan")
    with pytest.raises(DeviceRejected) as caught:
        await driver.apply(desired)
    assert caught.value.step == "wan/1"
    assert caught.value.code == 400 and not caught.value.retryable
    assert "vlan_id" in caught.value.message
    assert ont.sim.apply_log == []
    assert await driver.get_node("lan") == factory_lan


async def test_apply_failure_names_the_apply_node(ont: Ont, driver: HalnyDriver) -> None:
    def on_step(level: str, message: str) -> None:
        if message == "apply lan/apply":
            ont.device.faults.http_status = 503  # the ONT gets busy right then

    with pytest.raises(DeviceRejected) as caught:
        await driver.apply(triple_play(), on_step=on_step)
    assert caught.value.step == "lan/apply"
    assert caught.value.retryable
    assert ont.sim.apply_log == ["wan/1/apply", "wan/2/apply", "wan/3/apply", "voip/apply"]


async def test_apply_refuses_unknown_nodes_before_writing(ont: Ont, driver: HalnyDriver) -> None:
    desired = DeviceConfig([ConfigSection("lan", LAN), ConfigSection("status/device", {"model": "x"})])
    with pytest.raises(Unsupported) as caught:
        await driver.apply(desired)
    assert caught.value.step == "status/device"
    assert ont.sim.pending == {}


async def test_device_validation_errors_reach_the_caller(driver: HalnyDriver) -> None:
    with pytest.raises(DeviceRejected) as caught:
        await driver.set_node("lan", {"dhcp_speed": "fast"})
    assert caught.value.code == 400 and "unknown field" in caught.value.message and "dhcp_speed" in caught.value.message

    with pytest.raises(DeviceRejected) as caught:
        await driver.set_node("wlan24/ssid/1", {"password": "short"})
    assert caught.value.code == 400 and "password" in caught.value.message

    with pytest.raises(DeviceRejected) as caught:
        await driver.get_node("wan/9")
    assert caught.value.code == 404 and caught.value.step == "wan/9"


async def test_read_config_defaults_to_every_node_of_the_model(ont: Ont) -> None:
    driver = HalnyDriver(halny_endpoint(ont.device.address, mac=SEED_MAC, timeout=2.0))  # model unknown
    ont.drivers.append(driver)
    config = await driver.read_config()
    assert driver.model == "HL-4GXV", "learnt from status/device"
    assert [s.path for s in config.sections] == config_nodes("HL-4GXV")
    assert config.as_dict() == ont.sim.running


# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------


async def test_single_port_bridge_ont_has_only_its_nodes(onts: Callable[..., Awaitable[Ont]]) -> None:
    ont = await onts("HL-1B")
    driver = ont.driver()
    bind = await driver.get_node("wan/1/port_bind")
    assert set(bind) == {"lan1"}
    with pytest.raises(DeviceRejected) as caught:
        await driver.set_node("wan/1/port_bind", WAN1_PORT_BIND)  # lan2..4 and Wi-Fi do not exist
    assert caught.value.code == 400
    for node in ("voip", "voip/line/1", "wlan24", "wlan5/ssid/1"):
        with pytest.raises(DeviceRejected) as caught:
            await driver.get_node(node)
        assert caught.value.code == 404, node
    await driver.apply(DeviceConfig([ConfigSection("wan/1/port_bind", {"lan1": True})]))
    assert (await driver.get_node("wan/1/port_bind"))["lan1"] == "yes"
    assert [s.path for s in (await driver.read_config()).sections] == config_nodes("HL-1B")
    status = await driver.status()
    assert status.sip_lines == []


async def test_two_port_ont_binds_its_2g5_port(onts: Callable[..., Awaitable[Ont]]) -> None:
    ont = await onts("HL-2BV")
    driver = ont.driver()
    model = halny_model(ont.device.model)
    await driver.apply(DeviceConfig([ConfigSection("wan/1/port_bind", {model.lan_2g5: "yes"})]))
    assert (await driver.get_node("wan/1/port_bind")) == {"lan1": "no", "lan2": "yes"}


# ---------------------------------------------------------------------------
# Readings
# ---------------------------------------------------------------------------


async def test_info(ont: Ont, driver: HalnyDriver) -> None:
    info = await driver.info()
    assert (info.vendor, info.model, info.serial, info.mac, info.firmware) == (
        "halny",
        "HL-4GXV",
        "HALN1A2B3C4D",
        SEED_MAC,
        "V5.0.9",
    )
    ont.sim.started -= 120  # two minutes later
    assert (await driver.info()).uptime_s >= 120


async def test_status_of_a_factory_fresh_ont(driver: HalnyDriver) -> None:
    status = await driver.status()
    assert status.online and status.firmware == "V5.0.9"
    assert [w.id for w in status.wan] == [str(n) for n in range(1, 9)]
    assert all(w.state == "Disabled" and not w.up for w in status.wan)
    assert [(s.line, s.enabled, s.state) for s in status.sip_lines] == [(1, False, "Disabled")]


async def test_signal_drifts_inside_the_gpon_band(ont: Ont, driver: HalnyDriver, monkeypatch) -> None:
    readings = []
    for minute in range(0, 60, 6):
        monkeypatch.setattr(ont.sim, "now", lambda minute=minute: 1000.0 + minute * 60)
        readings.append(await driver.signal())
    rx = [r.rx_power_dbm for r in readings]
    assert all(r.kind == "optical" for r in readings)
    assert all(-28.0 <= v <= -8.0 for v in rx)
    assert max(rx) - min(rx) > 0.05, "the reading moves"
    assert max(rx) - min(rx) < 3.0, "but slowly"
    assert all(0.5 <= r.tx_power_dbm <= 5.0 for r in readings)
    assert {"temperature_c", "voltage_v", "bias_ma"} <= set(readings[0].extra)


@pytest.mark.parametrize("extra", [{"rx_bias": -28.5}, {"signal": "weak"}], ids=["rx_bias", "fleet_weak"])
async def test_signal_of_a_device_configured_below_threshold(
    onts: Callable[..., Awaitable[Ont]], extra: dict[str, object]
) -> None:
    ont = await onts(**extra)
    driver = ont.driver()
    rx = [(await driver.signal()).rx_power_dbm for _ in range(5)]
    # Past the portal's -27 dBm alarm line on every reading, drift included.
    assert all(v < -27.0 for v in rx)
    assert sum(rx) / len(rx) < -27.5


async def test_clients_come_and_go(ont: Ont, driver: HalnyDriver, monkeypatch) -> None:
    seen: list[frozenset[str]] = []
    for step in range(24):
        monkeypatch.setattr(ont.sim, "now", lambda step=step: 5000.0 + step * 75)
        clients = await driver.clients()
        seen.append(frozenset(c.mac for c in clients))
        for c in clients:
            assert c.ip and c.ip.startswith("192.168.1.")
            assert c.connection_type in ("ethernet", "wireless")
            if c.connection_type == "wireless":
                assert c.ssid.startswith("HALNy-8780") and -90 < c.signal_strength < -30
    always = frozenset.intersection(*seen)
    assert always, "the wired set-top box never leaves"
    assert len(set(seen)) > 1, "other hosts join and leave"


async def test_disabled_radio_drops_its_clients(ont: Ont, driver: HalnyDriver, monkeypatch) -> None:
    await driver.apply(
        DeviceConfig([ConfigSection("wlan24", {"enable": False}), ConfigSection("wlan5", {"enable": False})])
    )
    for step in range(12):
        monkeypatch.setattr(ont.sim, "now", lambda step=step: 5000.0 + step * 75)
        assert all(c.connection_type == "ethernet" for c in await driver.clients())


# ---------------------------------------------------------------------------
# Reboot and factory reset
# ---------------------------------------------------------------------------


async def test_reboot_goes_dark_then_comes_back(ont: Ont, driver: HalnyDriver) -> None:
    ont.sim.started -= 600
    await driver.set_node("lan", LAN)  # pending, never applied: lost in the reboot
    await driver.reboot()

    with pytest.raises(DeviceUnreachable) as caught:
        await driver.info()
    assert caught.value.retryable
    with pytest.raises(DeviceUnreachable):
        await ont.driver().info()  # a fresh connection as well

    await asyncio.sleep(REBOOT_S + 0.1)
    info = await driver.info()
    assert info.uptime_s is not None and info.uptime_s < 600
    await driver.apply_node("lan")
    assert (await driver.get_node("lan"))["ip"] == "192.168.1.1"


async def test_factory_reset_restores_defaults(ont: Ont, driver: HalnyDriver) -> None:
    defaults = factory_defaults(ont.device, ont.sim.model)
    await driver.apply(triple_play())
    assert (await driver.get_node("lan")) == LAN
    await driver.factory_reset()
    with pytest.raises(DeviceUnreachable):
        await driver.get_node("lan")
    await asyncio.sleep(REBOOT_S + 0.1)
    assert (await driver.read_config()).as_dict() == defaults
    assert all(w.state == "Disabled" for w in (await driver.status()).wan)


# ---------------------------------------------------------------------------
# Protocol details the driver never provokes
# ---------------------------------------------------------------------------


async def test_simulator_speaks_the_documented_protocol(ont: Ont) -> None:
    async with raw_client(ont) as http:
        answer = await http.post("/api/v2/lan", json={"dhcp_lease_time": 7200})
        assert answer.status_code == 400
        assert answer.json() == {"error": "value must be a string", "field": "dhcp_lease_time"}

        answer = await http.post("/api/v2/lan", json={"colour": "blue"})
        assert (answer.status_code, answer.json()["field"]) == (400, "colour")

        answer = await http.post("/api/v2/lan", content=b"{not json", headers={"Content-Type": "application/json"})
        assert answer.status_code == 400 and "error" in answer.json()

        answer = await http.post("/api/v2/lan", json=["dhcp_enable", "yes"])
        assert answer.status_code == 400

        answer = await http.get("/api/v2/toaster")
        assert answer.status_code == 404 and "error" in answer.json()

        answer = await http.get("/api/v2/lan/apply")
        assert answer.status_code == 405 and "error" in answer.json()

        answer = await http.post("/api/v2/lan/apply", json={"apply": "no"})
        assert answer.status_code == 400

        answer = await http.post("/api/v2/system/reboot", json={"reboot": "please"})
        assert answer.status_code == 400

        answer = await http.post("/api/v2/wan/1", json=WAN1_INTERNET_DHCP)
        assert (answer.status_code, answer.json()) == (200, {"result": "ok"})
        assert (await http.get("/api/v2/wan/1")).json()["enabled"] == "no"
        assert (await http.post("/api/v2/wan/1/apply", json={"apply": "yes"})).status_code == 200
        assert (await http.get("/api/v2/wan/1")).json()["enabled"] == "yes"
        assert all(isinstance(v, str) for v in (await http.get("/api/v2/wan/1")).json().values())

    async with raw_client(ont, auth=("", "")) as http:
        answer = await http.get("/api/v2/lan", auth=None)
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"].startswith("Basic")


async def test_bad_credentials(ont: Ont) -> None:
    endpoint = halny_endpoint(ont.device.address, username="apiuser", password="0000APIpass", timeout=2.0)
    async with HalnyDriver(endpoint) as driver:
        with pytest.raises(DeviceAuthError) as caught:
            await driver.info()
    assert not caught.value.retryable and caught.value.step == "status/device"


# ---------------------------------------------------------------------------
# Every injectable fault, seen through the driver
# ---------------------------------------------------------------------------


async def test_latency_is_tolerated(ont: Ont, driver: HalnyDriver) -> None:
    ont.device.faults.latency_ms = 150
    assert (await driver.info()).model == "HL-4GXV"


async def test_latency_beyond_the_timeout(ont: Ont) -> None:
    ont.device.faults.latency_ms = 1500
    with pytest.raises(DeviceTimeout) as caught:
        await ont.driver(timeout=0.3).signal()
    assert caught.value.retryable and caught.value.step == "status/optical"


async def test_refused_connection(ont: Ont) -> None:
    await ont.running.unbind()
    with pytest.raises(DeviceUnreachable) as caught:
        await ont.driver().info()
    assert caught.value.retryable
    await ont.running.start()  # and back
    assert (await ont.driver().info()).serial == "HALN1A2B3C4D"


FAULTS: list[tuple[str, dict[str, object], type[DeviceError], bool]] = [
    ("timeout", {"timeout": True}, DeviceTimeout, True),
    ("refuse", {"refuse": True}, DeviceUnreachable, True),
    ("drop", {"drop": True}, DeviceUnreachable, True),
    ("http_503", {"http_status": 503}, DeviceRejected, True),
    ("http_500", {"http_status": 500}, DeviceRejected, True),
    ("http_404", {"http_status": 404}, DeviceRejected, False),
    ("auth_failure", {"auth_failure": True}, DeviceAuthError, False),
    ("malformed", {"malformed": True}, DeviceProtocolError, False),
    ("rebooting", {"rebooting_for_s": 30}, DeviceUnreachable, True),
]


@pytest.mark.parametrize(("faults", "error", "retryable"), [f[1:] for f in FAULTS], ids=[f[0] for f in FAULTS])
async def test_fault_maps_to_typed_error(
    ont: Ont, faults: dict[str, object], error: type[DeviceError], retryable: bool
) -> None:
    driver = ont.driver(timeout=0.25)
    ont.device.faults.update(faults)
    operations: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        ("status/device", driver.info),
        ("status/optical", driver.signal),
        ("lan", lambda: driver.get_node("lan")),
        ("lan", lambda: driver.set_node("lan", LAN)),
        ("lan/apply", lambda: driver.apply_node("lan")),
        ("system/reboot", driver.reboot),
    ]
    for step, operation in operations:
        with pytest.raises(error) as caught:
            await operation()
        assert caught.value.retryable is retryable, step
        assert caught.value.step == step
    ont.device.faults = Faults()
    assert (await ont.driver().info()).model == "HL-4GXV", "healthy again once the fault is gone"
