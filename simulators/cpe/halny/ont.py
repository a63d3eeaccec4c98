"""Simulated HALNy GPON ONT: the JSON REST API v2 on port 48626 (aiohttp).

Serves the configuration nodes of ``shared/seeds/halny-ont-rest-api-v2-triple-play.txt``
with the ONT's two-stage semantics: a ``POST`` to a node is validated and
kept *pending*; a ``POST`` of ``{"apply":"yes"}`` to the node's apply node
makes the pending values of that group *running*; ``GET`` always answers the
running values. A driver that forgets an apply step therefore reads back the
old configuration — exactly what a real ONT does.

The status, optical, client and system nodes the seed does not document are
served in the shapes the portal's HALNy driver documents as its
assumptions. Readings move: optical power drifts slowly inside a GPON
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

from simulators.base import SimDevice, Simulator
from simulators.cpe.halny.config_tree import (
    EMPTY_PORT_FORWARDING_RULE,
    WAN_COUNT,
    factory_defaults,
    node_schema,
    ont_hardware,
)

API = "/api/v2"
DEFAULT_FIRMWARE = "V5.0.9"


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
        self.model = ont_hardware(device.model)
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

    # -- status nodes (not in the seed: the shapes the portal's driver assumes) --
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
        if out["conn_type"] == "static":
            # The address the portal configured, as the ONT reports it.
            return out | {
                "state": "Connected",
                "ip": cfg.get("ip", ""),
                "netmask": cfg.get("netmask", ""),
                "gateway": cfg.get("gateway", ""),
                "uptime": uptime,
            }
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
    async def _unconfirmed(self, request: web.Request, key: str) -> web.Response | None:
        """The error answer unless the body is exactly ``{key: "yes"}`` (the seed's confirmation)."""
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        if body != {key: "yes"}:
            return json_error(400, f'expected {{"{key}":"yes"}}', field=key)
        return None

    async def system_reboot(self, request: web.Request) -> web.Response:
        refused = await self._unconfirmed(request, "reboot")
        if refused is not None:
            return refused
        # The answer is already decided; the fault middleware refuses the
        # next requests until the reboot window is over.
        self.reboot()
        return web.json_response({"result": "ok"})

    async def system_factory_reset(self, request: web.Request) -> web.Response:
        refused = await self._unconfirmed(request, "factory_reset")
        if refused is not None:
            return refused
        self.factory_reset()
        return web.json_response({"result": "ok"})

    # -- helpers for tests and the fleet ---------------------------------------
    def snapshot(self) -> dict[str, dict[str, str]]:
        """A deep copy of the running configuration."""
        return copy.deepcopy(self.running)
