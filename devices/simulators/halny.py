"""Simulated HALNy GPON ONT: the JSON REST API v2 on port 48626 (aiohttp).

Serves the configuration nodes of ``shared/seeds/halny-ont-rest-api-v2-triple-play.txt``
with the ONT's two-stage semantics: a ``POST`` to a node is validated and
kept *pending*; a ``POST`` of ``{"apply":"yes"}`` to the node's apply node
makes the pending values of that group *running*; ``GET`` always answers the
running values. A driver that forgets an apply step therefore reads back the
old configuration — exactly what a real ONT does.

The status, optical, client and system nodes the seed does not document are
served in the shapes the driver module (``devices.drivers.halny``) lists as
portal assumptions. Readings move: optical power drifts slowly inside a GPON
band, uptime grows, WANs connect once enabled and applied, POTS lines
register once enabled with a login, and LAN/Wi-Fi clients come and go.

Per-device knobs in ``SimDevice.extra``:

``rx_bias``  optical Rx centre in dBm (e.g. ``-28.5`` to sit below the alarm threshold)
``signal``   ``"weak"``: a random Rx centre just below -28 dBm (the fleet's weak-signal devices)
``reboot_s`` seconds a reboot or factory reset keeps the ONT dark (default 3)
"""

from __future__ import annotations

import copy
import hmac
import ipaddress
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from aiohttp import BasicAuth, web

from devices.drivers.halny import (
    PORT_FORWARDING_RULES,
    SSIDS_PER_BAND,
    WAN_COUNT,
    HalnyModel,
    halny_model,
)
from devices.simulators.base import SimDevice, Simulator

API = "/api/v2"
DEFAULT_FIRMWARE = "V5.0.9"

# ---------------------------------------------------------------------------
# Field validation. A validator returns an error message, or None when fine.
# ---------------------------------------------------------------------------

Validator = Callable[[str], str | None]


def yes_no(value: str) -> str | None:
    return None if value in ("yes", "no") else 'must be "yes" or "no"'


def integer(lo: int, hi: int, *, empty: bool = False) -> Validator:
    def check(value: str) -> str | None:
        if value == "" and empty:
            return None
        try:
            number = int(value)
        except ValueError:
            return "must be a decimal integer"
        return None if lo <= number <= hi else f"must be between {lo} and {hi}"

    return check


def port(*, empty: bool = False) -> Validator:
    return integer(1, 65535, empty=empty)


def ipv4(*, empty: bool = False) -> Validator:
    def check(value: str) -> str | None:
        if value == "" and empty:
            return None
        try:
            ipaddress.IPv4Address(value)
        except ValueError:
            return "must be an IPv4 address"
        return None

    return check


def netmask(value: str) -> str | None:
    try:
        ipaddress.IPv4Network(f"0.0.0.0/{value}")
    except ValueError:
        return "must be an IPv4 netmask"
    return None


def choice(*options: str) -> Validator:
    # The seed itself writes "DHCP" in one example and "dhcp" in another, so
    # enumerations are matched without regard to case.
    allowed = {o.lower() for o in options}

    def check(value: str) -> str | None:
        return None if value.lower() in allowed else f"must be one of {', '.join(options)}"

    return check


def text(max_len: int = 64, *, empty: bool = True) -> Validator:
    def check(value: str) -> str | None:
        if not value and not empty:
            return "must not be empty"
        return None if len(value) <= max_len else f"must be at most {max_len} characters"

    return check


# A cross-field check over the merged values of a node; returns (field, error) or None.
NodeCheck = Callable[[dict[str, str]], tuple[str, str] | None]


@dataclass
class NodeSpec:
    fields: dict[str, Validator]
    group: str  # the apply node that makes this node running
    check: NodeCheck | None = None
    deletable: bool = False


def _check_wan(v: dict[str, str]) -> tuple[str, str] | None:
    bridge_type = v["conn_type"].lower() == "bridge"
    if bridge_type != (v["mode"].lower() == "bridge"):
        return "mode", 'conn_type "bridge" goes with mode "bridge" and only with it'
    if v["dot1q"].lower() == "tag" and v["vlan_id"] in ("", "0"):
        return "vlan_id", "a tagged WAN needs a VLAN id"
    return None


def _check_lan(v: dict[str, str]) -> tuple[str, str] | None:
    network = ipaddress.IPv4Network(f"{v['ip']}/{v['netmask']}", strict=False)
    start, end = ipaddress.IPv4Address(v["dhcp_start_ip"]), ipaddress.IPv4Address(v["dhcp_end_ip"])
    if start not in network:
        return "dhcp_start_ip", f"must be inside {network}"
    if end not in network:
        return "dhcp_end_ip", f"must be inside {network}"
    if int(end) < int(start):
        return "dhcp_end_ip", "must not be below dhcp_start_ip"
    if v["dns_proxy_type"].lower() == "manual" and not v["dns_primary"]:
        return "dns_primary", "is required with dns_proxy_type manual"
    return None


def _check_ssid(v: dict[str, str]) -> tuple[str, str] | None:
    if len(v["prefix"]) + len(v["ssid_name"]) > 32:
        return "ssid_name", "prefix and ssid_name together must fit in 32 characters"
    if v["ssid_name"] and v["security"].lower() not in ("open", "none") and not 8 <= len(v["password"]) <= 63:
        return "password", "must be 8 to 63 characters"
    return None


def _check_passwords(v: dict[str, str]) -> tuple[str, str] | None:
    for name in ("admin_password", "user_password"):
        if not v[name]:
            return name, "must not be empty"
    return None


def _check_port_forwarding(v: dict[str, str]) -> tuple[str, str] | None:
    if v["active"] != "yes":
        return None
    for name in ("wan_start_port", "local_ip", "lan_start_port"):
        if not v[name]:
            return name, "is required for an active rule"
    if v["wan_end_port"] and int(v["wan_end_port"]) < int(v["wan_start_port"]):
        return "wan_end_port", "must not be below wan_start_port"
    return None


WAN_FIELDS: dict[str, Validator] = {
    "enabled": yes_no,
    "conn_type": choice("dhcp", "pppoe", "static", "bridge"),
    "mode": choice("router", "bridge"),
    "service_type": choice("internet", "voip", "iptv", "tr069", "other"),
    "ip_version": choice("ipv4", "ipv6", "ipv4/ipv6"),
    "dot1q": choice("tag", "untag"),
    "vlan_id": integer(0, 4094),
    "cos": integer(0, 7),
    "nat_enable": yes_no,
    "ppp_login": text(64),
    "ppp_password": text(64),
}
VOIP_FIELDS: dict[str, Validator] = {"register_server": text(128), "register_port": port()}
VOIP_LINE_FIELDS: dict[str, Validator] = {
    "enable": yes_no,
    "login": text(64),
    "password": text(64),
    "display_name": text(64),
}
LAN_FIELDS: dict[str, Validator] = {
    "dhcp_enable": yes_no,
    "ip": ipv4(),
    "netmask": netmask,
    "dhcp_lease_time": integer(60, 604800),
    "dhcp_start_ip": ipv4(),
    "dhcp_end_ip": ipv4(),
    "dns_proxy_type": choice("auto", "manual"),
    "dns_primary": ipv4(empty=True),
}
_WLAN_COMMON: dict[str, Validator] = {
    "enable": yes_no,
    "mode": text(32, empty=False),
    "country": text(32, empty=False),
    "channel_selection": choice("auto", "manual"),
    "tx_power": integer(1, 100),  # percent
    "min_rssi_sta_connect": integer(-100, 0),
    "min_rssi_sta_disconnect": integer(-100, 0),
}
WLAN24_FIELDS: dict[str, Validator] = {
    **_WLAN_COMMON,
    "channel": integer(0, 14),  # 0: automatic
    "channel_width": choice("20MHz", "40MHz", "20/40MHz"),
}
WLAN5_FIELDS: dict[str, Validator] = {
    **_WLAN_COMMON,
    "channel": integer(0, 177),
    "channel_width": choice("20MHz", "40MHz", "80MHz", "160MHz"),
    "dfs_enable": yes_no,
}
SSID_FIELDS: dict[str, Validator] = {
    "prefix": text(32),
    "ssid_name": text(32),
    "security": text(32, empty=False),
    "encryption": choice("AES", "TKIP", "TKIP/AES"),
    "password": text(63),
}
MGMT_WEB_FIELDS: dict[str, Validator] = {
    "wan_mgmt_enable": yes_no,
    "wan_port": port(),
    "wan_https_port": port(),
    "iphost_port": port(),
    "iphost_https_port": port(),
    "lan_web_access_enable": yes_no,
    "https_access_enable": yes_no,
}
PASSWORDS_FIELDS: dict[str, Validator] = {"admin_password": text(64), "user_password": text(64)}
PORT_FORWARDING_FIELDS: dict[str, Validator] = {
    "active": yes_no,
    "protocol": choice("tcp", "udp", "tcp/udp"),
    "wan_start_port": port(empty=True),
    "wan_end_port": port(empty=True),
    "local_ip": ipv4(empty=True),
    "lan_start_port": port(empty=True),
    "name": text(32),
    "nat_loopback_enabled": yes_no,
}


def node_schema(model: HalnyModel) -> dict[str, NodeSpec]:
    """Every configuration node of ``model`` with its fields and apply group."""
    bands = [b for b, present in (("wlan24", model.wifi24), ("wlan5", model.wifi5)) if present]
    bind_fields: dict[str, Validator] = {name: yes_no for name in model.lan_names}
    for band in bands:
        bind_fields |= {
            f"{'wifi24' if band == 'wlan24' else 'wifi5'}_ssid{n}": yes_no for n in range(1, SSIDS_PER_BAND + 1)
        }
    schema: dict[str, NodeSpec] = {}
    for n in range(1, WAN_COUNT + 1):
        schema[f"wan/{n}"] = NodeSpec(WAN_FIELDS, f"wan/{n}/apply", _check_wan)
        schema[f"wan/{n}/port_bind"] = NodeSpec(bind_fields, f"wan/{n}/apply")
    if model.pots_lines:
        schema["voip"] = NodeSpec(VOIP_FIELDS, "voip/apply")
        for n in range(1, model.pots_lines + 1):
            schema[f"voip/line/{n}"] = NodeSpec(VOIP_LINE_FIELDS, "voip/apply")
    schema["lan"] = NodeSpec(LAN_FIELDS, "lan/apply", _check_lan)
    for band in bands:
        schema[band] = NodeSpec(WLAN24_FIELDS if band == "wlan24" else WLAN5_FIELDS, f"{band}/apply")
        for n in range(1, SSIDS_PER_BAND + 1):
            schema[f"{band}/ssid/{n}"] = NodeSpec(SSID_FIELDS, f"{band}/apply", _check_ssid)
    schema["management/web"] = NodeSpec(MGMT_WEB_FIELDS, "management/web/apply")
    schema["management/passwords"] = NodeSpec(PASSWORDS_FIELDS, "management/passwords/apply", _check_passwords)
    for n in range(PORT_FORWARDING_RULES):
        schema[f"nat_config/port_forwarding_rule/{n}"] = NodeSpec(
            PORT_FORWARDING_FIELDS, "nat_config/port_forwarding_rule/apply", _check_port_forwarding, deletable=True
        )
    return schema


EMPTY_PORT_FORWARDING_RULE = {
    "active": "no",
    "protocol": "tcp",
    "wan_start_port": "",
    "wan_end_port": "",
    "local_ip": "",
    "lan_start_port": "",
    "name": "",
    "nat_loopback_enabled": "no",
}


def factory_defaults(device: SimDevice, model: HalnyModel) -> dict[str, dict[str, str]]:
    """The running configuration of an ONT fresh from the box (or a reset)."""
    mac_tail = "".join(c for c in device.mac if c.isalnum())[-4:].upper()
    # Label-printed Wi-Fi key and admin password: unique per unit, from the serial.
    label = random.Random(f"label-{device.serial}")
    wifi_key = "".join(label.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(12))
    admin_password = "".join(label.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(10))
    config: dict[str, dict[str, str]] = {}
    for n in range(1, WAN_COUNT + 1):
        config[f"wan/{n}"] = {
            "enabled": "no",
            "conn_type": "dhcp",
            "mode": "router",
            "service_type": "internet",
            "ip_version": "ipv4",
            "dot1q": "untag",
            "vlan_id": "0",
            "cos": "0",
            "nat_enable": "yes",
            "ppp_login": "",
            "ppp_password": "",
        }
    schema = node_schema(model)
    for n in range(1, WAN_COUNT + 1):
        config[f"wan/{n}/port_bind"] = dict.fromkeys(schema[f"wan/{n}/port_bind"].fields, "no")
    if model.pots_lines:
        config["voip"] = {"register_server": "", "register_port": "5060"}
        for n in range(1, model.pots_lines + 1):
            config[f"voip/line/{n}"] = {"enable": "no", "login": "", "password": "", "display_name": ""}
    config["lan"] = {
        "dhcp_enable": "yes",
        "ip": "192.168.1.1",
        "netmask": "255.255.255.0",
        "dhcp_lease_time": "86400",
        "dhcp_start_ip": "192.168.1.100",
        "dhcp_end_ip": "192.168.1.200",
        "dns_proxy_type": "auto",
        "dns_primary": "",
    }
    radio = {
        "enable": "yes",
        "country": "POLAND",
        "channel": "0",
        "channel_selection": "auto",
        "tx_power": "100",
        "min_rssi_sta_connect": "-90",
        "min_rssi_sta_disconnect": "-95",
    }
    if model.wifi24:
        config["wlan24"] = radio | {"mode": "802.11b/g/n/ax", "channel_width": "20MHz"}
    if model.wifi5:
        config["wlan5"] = radio | {"mode": "802.11a/n/ac/ax", "channel_width": "80MHz", "dfs_enable": "yes"}
    for band, present, suffix in (("wlan24", model.wifi24, ""), ("wlan5", model.wifi5, "-5G")):
        if not present:
            continue
        for n in range(1, SSIDS_PER_BAND + 1):
            first = n == 1
            config[f"{band}/ssid/{n}"] = {
                "prefix": "",
                "ssid_name": f"HALNy-{mac_tail}{suffix}" if first else "",
                "security": "WPA2 Personal",
                "encryption": "AES",
                "password": wifi_key if first else "",
            }
    config["management/web"] = {
        "wan_mgmt_enable": "no",
        "wan_port": "8080",
        "wan_https_port": "8443",
        "iphost_port": "80",
        "iphost_https_port": "443",
        "lan_web_access_enable": "yes",
        "https_access_enable": "no",
    }
    config["management/passwords"] = {"admin_password": admin_password, "user_password": "user"}
    for n in range(PORT_FORWARDING_RULES):
        config[f"nat_config/port_forwarding_rule/{n}"] = dict(EMPTY_PORT_FORWARDING_RULE)
    return config


def json_error(status: int, message: str, **extra: str) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


@dataclass
class SimClient:
    """A host behind the ONT that appears and disappears on a schedule."""

    mac: str
    hostname: str
    interface: str  # lanN | wlan24 | wlan5
    period_s: float
    duty: float  # fraction of the period it is connected
    phase_s: float
    rssi: int
    slot: int  # its offset in the DHCP pool

    def present(self, now: float) -> bool:
        return (now + self.phase_s) % self.period_s < self.duty * self.period_s


@dataclass
class _WanLink:
    since: float = 0.0  # monotonic time the link last came up (apply)
    extra: dict[str, str] = field(default_factory=dict)


_HOSTNAMES = ["LAPTOP-7QK2", "iPhone", "Galaxy-S23", "smart-tv", "printer", "xbox", "ipad", "desktop-home", "nas"]


class HalnySimulator(Simulator):
    """One simulated HALNy ONT; state lives on the instance, per device."""

    vendor: ClassVar[str] = "halny"

    def __init__(self, device: SimDevice) -> None:
        super().__init__(device)
        self.model = halny_model(device.model)
        self.schema = node_schema(self.model)
        self.groups = {spec.group for spec in self.schema.values()}
        self.running = factory_defaults(device, self.model)
        self.pending: dict[str, dict[str, str]] = {}
        # Every apply node posted, in order: tests check a driver applies each once.
        self.apply_log: list[str] = []
        self.links: dict[int, _WanLink] = {}
        rng = self.rng
        bias = device.extra.get("rx_bias")
        if bias is None and device.extra.get("signal") == "weak":
            # The fleet's "weak signal" subscribers: well past the -27 dBm alarm line.
            bias = rng.uniform(-29.5, -28.2)
        if bias is not None:
            self.rx_base = float(bias)
        elif rng.random() < 0.85:
            self.rx_base = rng.uniform(-24.0, -17.0)
        else:  # a few subscribers are close to the OLT or at the far end of a splitter
            self.rx_base = rng.choice([rng.uniform(-12.0, -8.5), rng.uniform(-27.5, -24.0)])
        self.rx_clamp = bias is None
        self.tx_base = rng.uniform(1.5, 3.5)
        self.drift_period_s = rng.uniform(300, 1800)
        self.drift_phase = rng.uniform(0, 2 * math.pi)
        self.temperature_base = rng.uniform(38, 52)
        self.bias_ma = rng.uniform(8, 18)
        self.clients_pool = self._make_clients()

    # -- time --------------------------------------------------------------
    def now(self) -> float:
        """The clock readings follow; tests move it to see clients come and go."""
        return time.monotonic()

    def reboot(self, seconds: float | None = None) -> None:
        """Go dark; pending (unapplied) writes are lost as on the real ONT."""
        self.pending.clear()
        super().reboot(self.device.extra.get("reboot_s", 3) if seconds is None else seconds)

    def factory_reset(self, seconds: float | None = None) -> None:
        self.running = factory_defaults(self.device, self.model)
        self.links.clear()
        self.reboot(seconds)

    # -- app ---------------------------------------------------------------
    def add_routes(self, app: web.Application) -> None:
        app.middlewares.append(self._auth_middleware)
        n = r"{n:[1-9][0-9]*}"
        config_nodes = [
            f"{API}/wan/{n}",
            f"{API}/wan/{n}/port_bind",
            f"{API}/voip",
            f"{API}/voip/line/{n}",
            f"{API}/lan",
            f"{API}/wlan24",
            f"{API}/wlan24/ssid/{n}",
            f"{API}/wlan5",
            f"{API}/wlan5/ssid/{n}",
            f"{API}/management/web",
            f"{API}/management/passwords",
            f"{API}/nat_config/port_forwarding_rule/{{n:(0|[1-9][0-9]*)}}",
        ]
        apply_nodes = [
            f"{API}/wan/{n}/apply",
            f"{API}/voip/apply",
            f"{API}/lan/apply",
            f"{API}/wlan24/apply",
            f"{API}/wlan5/apply",
            f"{API}/management/web/apply",
            f"{API}/management/passwords/apply",
            f"{API}/nat_config/port_forwarding_rule/apply",
        ]
        routes: list[web.RouteDef] = []
        for path in config_nodes:
            routes += [web.get(path, self.get_node), web.post(path, self.post_node), web.delete(path, self.delete_node)]
        routes += [web.post(path, self.post_apply) for path in apply_nodes]
        routes += [
            web.get(f"{API}/status/device", self.status_device),
            web.get(f"{API}/status/optical", self.status_optical),
            web.get(f"{API}/status/wan", self.status_wans),
            web.get(f"{API}/status/wan/{n}", self.status_wan),
            web.get(f"{API}/status/voip", self.status_voip),
            web.get(f"{API}/status/clients", self.status_clients),
            web.post(f"{API}/system/reboot", self.system_reboot),
            web.post(f"{API}/system/factory_reset", self.system_factory_reset),
        ]
        app.add_routes(routes)

    @web.middleware
    async def _auth_middleware(self, request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
        if not self._authorised(request):
            response = json_error(401, "authentication required")
            response.headers["WWW-Authenticate"] = 'Basic realm="HALNy ONT REST API"'
            return response
        try:
            return await handler(request)
        except web.HTTPException as exc:
            # Unknown paths and wrong methods answer JSON like the rest of the API.
            if exc.status < 400:
                raise
            response = json_error(exc.status, exc.reason)
            if "Allow" in exc.headers:
                response.headers["Allow"] = exc.headers["Allow"]
            return response

    def _authorised(self, request: web.Request) -> bool:
        if self.device.faults.auth_failure:
            return False
        header = request.headers.get("Authorization", "")
        try:
            auth = BasicAuth.decode(header)
        except ValueError:
            return False
        return hmac.compare_digest(auth.login.encode(), self.device.username.encode()) and hmac.compare_digest(
            auth.password.encode(), self.device.password.encode()
        )

    @staticmethod
    def _node(request: web.Request) -> str:
        return request.path.removeprefix(API + "/").rstrip("/")

    async def _body(self, request: web.Request) -> dict[str, Any] | web.Response:
        # The seed's first cURL example has a trailing comma; the ONT's parser is
        # assumed strict, as the portal always sends valid JSON.
        if not request.can_read_body:
            return json_error(400, "a JSON object body is required")
        try:
            body = await request.json()
        except ValueError:
            return json_error(400, "body is not valid JSON")
        if not isinstance(body, dict):
            return json_error(400, "body must be a JSON object")
        return body

    # -- configuration nodes -------------------------------------------------
    async def get_node(self, request: web.Request) -> web.Response:
        node = self._node(request)
        if node not in self.schema:
            return json_error(404, "unknown node", node=node)
        return web.json_response(self.running[node])

    async def post_node(self, request: web.Request) -> web.Response:
        node = self._node(request)
        spec = self.schema.get(node)
        if spec is None:
            return json_error(404, "unknown node", node=node)
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        for name, value in body.items():
            if name not in spec.fields:
                return json_error(400, "unknown field", field=name)
            if not isinstance(value, str):
                return json_error(400, "value must be a string", field=name)
            error = spec.fields[name](value)
            if error:
                return json_error(400, f"invalid value: {error}", field=name)
        merged = {**self.pending.get(node, self.running[node]), **body}
        if spec.check is not None:
            problem = spec.check(merged)
            if problem:
                return json_error(400, f"invalid value: {problem[1]}", field=problem[0])
        self.pending[node] = merged
        return web.json_response({"result": "ok"})

    async def delete_node(self, request: web.Request) -> web.Response:
        node = self._node(request)
        spec = self.schema.get(node)
        if spec is None:
            return json_error(404, "unknown node", node=node)
        if not spec.deletable:
            return json_error(405, "node cannot be deleted", node=node)
        self.pending[node] = dict(EMPTY_PORT_FORWARDING_RULE)
        return web.json_response({"result": "ok"})

    async def post_apply(self, request: web.Request) -> web.Response:
        group = self._node(request)
        if group not in self.groups:
            return json_error(404, "unknown node", node=group)
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        if body != {"apply": "yes"}:
            return json_error(400, 'expected {"apply":"yes"}', field="apply")
        now = self.now()
        for node in [n for n in self.pending if self.schema[n].group == group]:
            values = self.pending.pop(node)
            if node.startswith("wan/") and node.count("/") == 1 and values != self.running[node]:
                # A changed WAN reconnects; its uptime starts again.
                self.links[int(node.split("/")[1])] = _WanLink(since=now)
            self.running[node] = values
        self.apply_log.append(group)
        return web.json_response({"result": "ok"})

    # -- status nodes (portal assumptions, see devices.drivers.halny) --------
    def _uptime(self) -> int:
        return max(0, int(self.now() - self.started))

    async def status_device(self, request: web.Request) -> web.Response:
        d = self.device
        return web.json_response(
            {
                "model": self.model.name,
                "serial": d.serial,
                "mac": d.mac.upper(),
                "firmware": d.firmware or DEFAULT_FIRMWARE,
                "hardware": "V1.0",
                "uptime": str(self._uptime()),
            }
        )

    async def status_optical(self, request: web.Request) -> web.Response:
        now = self.now()
        drift = math.sin(2 * math.pi * now / self.drift_period_s + self.drift_phase)
        rx = self.rx_base + 0.6 * drift + self.rng.gauss(0, 0.04)
        if self.rx_clamp:
            rx = min(-8.0, max(-28.0, rx))
        tx = min(5.0, max(0.5, self.tx_base + 0.1 * drift + self.rng.gauss(0, 0.02)))
        temperature = self.temperature_base + 2.5 * drift + self.rng.gauss(0, 0.1)
        return web.json_response(
            {
                "rx_power": f"{rx:.2f}",
                "tx_power": f"{tx:.2f}",
                "temperature": f"{temperature:.2f}",
                "voltage": f"{3.3 + self.rng.gauss(0, 0.01):.2f}",
                "bias": f"{self.bias_ma + self.rng.gauss(0, 0.1):.2f}",
            }
        )

    def wan_state(self, n: int) -> dict[str, str]:
        cfg = self.running[f"wan/{n}"]
        out = {
            "index": str(n),
            "enabled": cfg["enabled"],
            "conn_type": cfg["conn_type"].lower(),
            "mode": cfg["mode"].lower(),
            "service_type": cfg["service_type"],
            "vlan_id": cfg["vlan_id"],
            "state": "Disabled",
            "ip": "",
            "netmask": "",
            "gateway": "",
            "uptime": "0",
        }
        if cfg["enabled"] != "yes":
            return out
        link = self.links.get(n, _WanLink())
        uptime = str(max(0, int(self.now() - max(link.since, self.started))))
        if out["conn_type"] == "bridge":
            return out | {"state": "Connected", "uptime": uptime}
        if out["conn_type"] == "pppoe" and not cfg["ppp_login"]:
            return out | {"state": "Connecting"}
        # Stable per device, WAN and VLAN: the address a BNG/DHCP server would give.
        rng = random.Random(f"{self.device.serial}-{n}-{cfg['vlan_id']}-{out['conn_type']}")
        if out["service_type"] == "voip":
            prefix = f"10.200.{rng.randrange(0, 256)}"
        elif out["conn_type"] == "pppoe":
            prefix = f"203.0.113.{rng.randrange(1, 255)}"  # /32 session address
            return out | {"state": "Connected", "ip": prefix, "netmask": "255.255.255.255", "uptime": uptime}
        elif out["service_type"] == "internet":
            prefix = f"100.{rng.randrange(64, 128)}.{rng.randrange(0, 256)}"
        else:
            prefix = f"10.100.{rng.randrange(0, 256)}"
        return out | {
            "state": "Connected",
            "ip": f"{prefix}.{rng.randrange(2, 255)}",
            "netmask": "255.255.255.0",
            "gateway": f"{prefix}.1",
            "uptime": uptime,
        }

    async def status_wans(self, request: web.Request) -> web.Response:
        return web.json_response({"wan": [self.wan_state(n) for n in range(1, WAN_COUNT + 1)]})

    async def status_wan(self, request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        if n > WAN_COUNT:
            return json_error(404, "unknown node", node=self._node(request))
        return web.json_response(self.wan_state(n))

    async def status_voip(self, request: web.Request) -> web.Response:
        if not self.model.pots_lines:
            return json_error(404, "unknown node", node="status/voip")
        server = self.running["voip"]["register_server"]
        lines = []
        for n in range(1, self.model.pots_lines + 1):
            cfg = self.running[f"voip/line/{n}"]
            if cfg["enable"] != "yes":
                state = "Disabled"
            elif cfg["login"] and server:
                state = "Registered"
            else:
                state = "Registering"
            lines.append(
                {"index": str(n), "enable": cfg["enable"], "login": cfg["login"], "server": server, "status": state}
            )
        return web.json_response({"line": lines})

    # -- clients -------------------------------------------------------------
    def _make_clients(self) -> list[SimClient]:
        rng = random.Random(f"clients-{self.device.seed}-{self.device.serial}")
        interfaces = list(self.model.lan_names)
        interfaces += [b for b, present in (("wlan24", self.model.wifi24), ("wlan5", self.model.wifi5)) if present]
        pool = []
        for i in range(rng.randint(3, 8)):
            mac = ":".join(f"{b:02X}" for b in [0x02, *(rng.randrange(256) for _ in range(5))])
            pool.append(
                SimClient(
                    mac=mac,
                    hostname=rng.choice(_HOSTNAMES),
                    # The first host is the always-on wired one (set-top box, PC).
                    interface=interfaces[0] if i == 0 else rng.choice(interfaces),
                    period_s=rng.uniform(120, 900),
                    duty=1.0 if i == 0 else rng.uniform(0.3, 0.8),
                    phase_s=rng.uniform(0, 900),
                    rssi=rng.randint(-78, -38),
                    slot=i,
                )
            )
        return pool

    def connected_clients(self) -> list[dict[str, str]]:
        now = self.now()
        lan = self.running["lan"]
        first = ipaddress.IPv4Address(lan["dhcp_start_ip"])
        out = []
        for c in self.clients_pool:
            if not c.present(now):
                continue
            wireless = c.interface.startswith("wlan")
            if wireless and self.running[c.interface]["enable"] != "yes":
                continue
            ssid = ""
            if wireless:
                ssid_cfg = self.running[f"{c.interface}/ssid/1"]
                ssid = ssid_cfg["prefix"] + ssid_cfg["ssid_name"]
            out.append(
                {
                    "mac": c.mac,
                    "ip": str(first + c.slot) if lan["dhcp_enable"] == "yes" else "",
                    "hostname": c.hostname,
                    "interface": c.interface,
                    "ssid": ssid,
                    "rssi": str(c.rssi + self.rng.randint(-3, 3)) if wireless else "",
                }
            )
        return out

    async def status_clients(self, request: web.Request) -> web.Response:
        return web.json_response({"clients": self.connected_clients()})

    # -- system ----------------------------------------------------------------
    async def system_reboot(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        if body != {"reboot": "yes"}:
            return json_error(400, 'expected {"reboot":"yes"}', field="reboot")
        # The answer is already decided; the fault middleware refuses the
        # next requests until the reboot window is over.
        self.reboot()
        return web.json_response({"result": "ok"})

    async def system_factory_reset(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        if body != {"factory_reset": "yes"}:
            return json_error(400, 'expected {"factory_reset":"yes"}', field="factory_reset")
        self.factory_reset()
        return web.json_response({"result": "ok"})

    # -- helpers for tests and the fleet ---------------------------------------
    def snapshot(self) -> dict[str, dict[str, str]]:
        """A deep copy of the running configuration."""
        return copy.deepcopy(self.running)
