"""Peplink/Pepwave router simulator: the documented Router API on aiohttp.

Serves ``/api/<object.name>`` exactly as ``peplink-router-api.txt`` documents
it: the ``{"stat": "ok", "response": ...}`` / ``{"stat": "fail", "code": N,
"message": "..."}`` envelope, cookie sessions (``bauth`` over HTTPS, ``pauth``
over plain HTTP), client-credential access tokens passed as the
``accessToken`` query parameter, and config objects that are written to a
pending copy until ``cmd.config.apply``.

Knobs in ``SimDevice.extra`` (all optional):

``session_ttl_s`` (600)
    Idle timeout of a login session; every authorised request renews it.
``token_ttl_s`` (172800)
    Lifetime of an access token, reported as ``expiresIn``.
``unauthorized_http_prefixes`` (``["cmd."]``)
    Object-name prefixes that answer an expired/unknown session with a plain
    HTTP 401; every other object answers HTTP 200 with the fail envelope and
    ``code`` 401. Real firmware mixes both, so drivers must handle both;
    ``[]`` makes every object answer 200, ``[""]`` makes every object 401.
``reboot_s`` (5.0)
    How long the device stays dark after ``cmd.cellularModule.reset``.
``wan_count`` (2)
    1 = cellular WAN only, 2 = ethernet + cellular.
``wifi_wan`` (True)
    Add a Wi-Fi WAN, disabled by default (used by ``cmd.wifi.scan``).
``gps`` (model dependent)
    Whether ``info.location`` answers (MAX models have GPS, Balance not).

The simulator's own clock (:meth:`PeplinkSimulator.now`) drives session and
token expiry; tests move it with :meth:`PeplinkSimulator.advance` instead of
sleeping. ``PeplinkSimulator.stats`` counts logins, grants, logouts and
unauthorised answers so tests can assert "exactly one re-login".
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from aiohttp import web

from devices.simulators.base import SimDevice, Simulator

# ---------------------------------------------------------------------------
# Envelope and request parameters
# ---------------------------------------------------------------------------


class ApiFail(Exception):
    """Raised by a handler to answer ``{"stat": "fail", ...}``."""

    def __init__(self, code: int, message: str, *, http_status: int = 200) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status


def ok(response: Any = None) -> web.Response:
    body: dict[str, Any] = {"stat": "ok"}
    if response is not None:
        body["response"] = response
    return web.json_response(body)


def fail(code: int, message: str, *, http_status: int = 200) -> web.Response:
    return web.json_response({"stat": "fail", "code": code, "message": message}, status=http_status)


_LIST_SPLIT = re.compile(r"[,\s]+")
_TRUE = {"1", "true", "yes", "on", "enable", "enabled"}
_FALSE = {"0", "false", "no", "off", "disable", "disabled"}


class Params:
    """Request parameters from the query string, a JSON body or form fields.

    The documentation and real integrations disagree on shapes, and the
    device tolerates all of them: repeated parameters (``id=1&id=2``), comma-
    or space-separated lists (``id=1,2`` / ``id=1 2``), JSON arrays, and
    scalars wrapped in one-element arrays (the ``cmd.carrier.scan`` example
    posts ``{"connId": ["4"]}``). Unknown fields are simply never read.
    """

    def __init__(self, values: dict[str, list[Any]]) -> None:
        self.values = values

    @classmethod
    async def from_request(cls, request: web.Request) -> Params:
        values: dict[str, list[Any]] = {}

        def add(key: str, value: Any) -> None:
            # PHP-style "id[]=1&id[]=2" is as common as plain repetition.
            values.setdefault(key.removesuffix("[]"), []).append(value)

        for key, value in request.query.items():
            if key != "accessToken":
                add(key, value)
        if request.method == "POST" and request.can_read_body:
            if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    add(key, value)
                return cls(values)
            raw = await request.read()
            if raw.strip():
                try:
                    body = json.loads(raw)
                except ValueError as exc:
                    raise ApiFail(400, "Invalid JSON body") from exc
                if not isinstance(body, dict):
                    raise ApiFail(400, "Invalid JSON body")
                # Body fields override query fields of the same name.
                for key, value in body.items():
                    values[key.removesuffix("[]")] = [value]
        return cls(values)

    def has(self, name: str) -> bool:
        return name in self.values

    def raw(self, name: str) -> Any:
        """The value as sent: one-element arrays unwrapped, repeats as a list."""
        items = self.values.get(name)
        if not items:
            return None
        if len(items) > 1:
            return items
        value = items[0]
        if isinstance(value, list) and len(value) == 1:
            return value[0]
        return value

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.raw(name)
        if value is None:
            return default
        if isinstance(value, list):
            value = value[0]
        return str(value)

    def number(self, name: str, default: int | None = None) -> int | None:
        value = self.raw(name)
        if value is None or value == "":
            return default
        if isinstance(value, list):
            value = value[0]
        if isinstance(value, bool):
            raise ApiFail(400, f"Invalid parameter: {name}")
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise ApiFail(400, f"Invalid parameter: {name}") from exc

    def flag(self, name: str, default: bool | None = None) -> bool | None:
        value = self.raw(name)
        if value is None:
            return default
        return to_bool(value, name)

    def many(self, name: str) -> list[str]:
        out: list[str] = []
        for value in self.values.get(name, []):
            out.extend(_flatten(value))
        return [v for v in out if v != ""]

    def numbers(self, name: str) -> list[int]:
        try:
            return [int(v) for v in self.many(name)]
        except ValueError as exc:
            raise ApiFail(400, f"Invalid parameter: {name}") from exc

    def obj(self, name: str) -> Any:
        """A nested object/array; form posts carry it as JSON text."""
        value = self.raw(name)
        if isinstance(value, str) and value.strip()[:1] in ("{", "["):
            try:
                return json.loads(value)
            except ValueError as exc:
                raise ApiFail(400, f"Invalid parameter: {name}") from exc
        return value


def _flatten(value: Any) -> list[str]:
    if isinstance(value, list):
        out: list[str] = []
        for item in value:
            out.extend(_flatten(item))
        return out
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                return _flatten(json.loads(text))
            except ValueError:
                pass
        return [part for part in _LIST_SPLIT.split(text) if part]
    return [str(value)]


def to_bool(value: Any, name: str = "value") -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE:
        return True
    if isinstance(value, str) and value.strip().lower() in _FALSE:
        return False
    raise ApiFail(400, f"Invalid parameter: {name}")


def ordered(items: dict[int, Any]) -> dict[str, Any]:
    """The device's ``{"1": {...}, "2": {...}, "order": [1, 2]}`` map shape."""
    out: dict[str, Any] = {str(k): v for k, v in items.items()}
    out["order"] = list(items)
    return out


# ---------------------------------------------------------------------------
# Device models
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelProfile:
    name: str
    has_ethernet_wan: bool
    gps: bool
    five_g: bool
    lite_supported: bool  # "lite" has no effect on MAX devices (seed note)
    sim_slots: int = 2


MODELS: dict[str, ModelProfile] = {
    "MAX BR1": ModelProfile("MAX BR1", True, gps=True, five_g=False, lite_supported=False),
    "MAX BR1 Pro 5G": ModelProfile("MAX BR1 Pro 5G", True, gps=True, five_g=True, lite_supported=False),
    "Balance 20X": ModelProfile("Balance 20X", True, gps=False, five_g=False, lite_supported=True),
}

CARRIERS = [
    # name, country, mcc, mnc
    ("Vodafone", "Germany", "262", "02"),
    ("Telekom.de", "Germany", "262", "01"),
    ("Orange", "Poland", "260", "03"),
    ("Play", "Poland", "260", "06"),
    ("T-Mobile", "United States", "310", "260"),
]

LTE_BANDS = ["LTE Band 3 (1800 MHz)", "LTE Band 7 (2600 MHz)", "LTE Band 20 (800 MHz)", "LTE Band 1 (2100 MHz)"]
NR_BANDS = ["5G NR Band n78 (3500 MHz)", "5G NR Band n28 (700 MHz)"]

CLIENT_NAMES = [
    "iPhone",
    "Galaxy-S23",
    "POS-terminal",
    "IPCAM-lobby",
    "Laptop-ops",
    "Android client",
    "Printer",
    "Pixel-8",
    "Thermostat",
    "Smart-TV",
    "MacBook-Air",
    "VoIP-phone",
]

WIFI_UPLINK = ("HOME-5G", "wpa-psk")  # what an enabled Wi-Fi WAN is joined to
SSID_KEY = re.compile(r"^(?:.{8,63}|[0-9a-fA-F]{64})$")
SMS_ADDRESS = re.compile(r"^\+[1-9][0-9]{1,14}$")


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


@dataclass
class Session:
    cookie: str  # "bauth" or "pauth": a session lives on the scheme it was made on
    expires_at: float
    permission: dict[str, int] = field(default_factory=lambda: {"GET": 1, "POST": 1})
    admin: bool = True


@dataclass
class AccessToken:
    client_id: str
    client_name: str
    scope: str
    created: int
    expires_at: float


# A handler takes the parsed parameters and the request's auth scope.
Handler = Callable[["Params", "Auth"], Awaitable[web.Response]]


@dataclass
class Auth:
    read: bool = False
    write: bool = False
    admin: bool = False
    session_id: str | None = None
    token: str | None = None
    cookie_name: str = "pauth"  # "bauth" over HTTPS, "pauth" over plain HTTP
    method: str = "GET"


# ---------------------------------------------------------------------------
# The simulator
# ---------------------------------------------------------------------------


class PeplinkSimulator(Simulator):
    """One simulated Peplink/Pepwave router (MAX BR1, BR1 Pro 5G, Balance 20X)."""

    vendor: ClassVar[str] = "peplink"

    def __init__(self, device: SimDevice) -> None:
        super().__init__(device)
        self.profile = MODELS.get(device.model) or ModelProfile(
            device.model or "MAX BR1", True, gps=True, five_g="5G" in device.model, lite_supported=False
        )
        self.firmware = device.firmware or "8.1.3 build 5237"
        self.clock_offset = 0.0
        self.stats: Counter[str] = Counter()
        self.sessions: dict[str, Session] = {}
        self.api_clients: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, AccessToken] = {}
        self.sent_sms: list[dict[str, Any]] = []
        self._build_state()

    # -- knobs -------------------------------------------------------------
    @property
    def session_ttl_s(self) -> float:
        return float(self.device.extra.get("session_ttl_s", 600))

    @property
    def token_ttl_s(self) -> float:
        return float(self.device.extra.get("token_ttl_s", 172800))

    @property
    def unauthorized_http_prefixes(self) -> list[str]:
        return list(self.device.extra.get("unauthorized_http_prefixes", ["cmd."]))

    def now(self) -> float:
        """The clock sessions and tokens expire on (monotonic + test offset)."""
        return time.monotonic() + self.clock_offset

    def advance(self, seconds: float) -> None:
        """Move the expiry clock forward (tests: expire sessions without sleeping)."""
        self.clock_offset += seconds

    # -- state -------------------------------------------------------------
    def _build_state(self) -> None:
        rng = self.rng
        extra = self.device.extra
        mac_tail = self.device.mac.replace(":", "")[-4:].upper() or "0000"
        carrier = CARRIERS[rng.randrange(len(CARRIERS))]
        self.carrier = {"name": carrier[0], "country": carrier[1], "mcc": carrier[2], "mnc": carrier[3]}
        bands = NR_BANDS[:1] + LTE_BANDS[:1] if self.profile.five_g else [LTE_BANDS[rng.randrange(len(LTE_BANDS))]]
        self.cell_bands = bands
        # The fleet marks a few routers "weak": parked at the cell edge.
        weak = extra.get("signal") == "weak"
        self.cell_limits = (
            {"rsrp": (-120, -108), "rsrq": (-20, -13), "sinr": (-5, 3), "rssi": (-100, -88)}
            if weak
            else {"rsrp": (-120, -70), "rsrq": (-20, -3), "sinr": (-5, 30), "rssi": (-100, -50)}
        )
        self.cell = {
            "rsrp": rng.uniform(-116, -110) if weak else rng.uniform(-110, -80),
            "rsrq": rng.uniform(-18, -14) if weak else rng.uniform(-15, -6),
            "sinr": rng.uniform(-3, 2) if weak else rng.uniform(0, 22),
            "rssi": rng.uniform(-98, -90) if weak else rng.uniform(-85, -60),
        }
        self.imei = "35" + "".join(str(rng.randrange(10)) for _ in range(13))
        self.iccid = "8949" + "".join(str(rng.randrange(10)) for _ in range(15))
        self.imsi = (carrier[2] + carrier[3] + "".join(str(rng.randrange(10)) for _ in range(12)))[:15]
        self.usage_base_mb = rng.uniform(50, 4000)
        self.usage_rate_mb_s = rng.uniform(0.01, 0.2)
        self.wan_ip_octet = rng.randrange(2, 250)

        wans: dict[int, dict[str, Any]] = {}
        self.wan_kind: dict[int, str] = {}
        next_id = 1
        if int(extra.get("wan_count", 2)) >= 2 and self.profile.has_ethernet_wan:
            wans[next_id] = self._wan_config("WAN", "ethernet", priority=1)
            self.wan_kind[next_id] = "ethernet"
            next_id += 1
        wans[next_id] = self._wan_config("Cellular", "cellular", priority=2 if next_id > 1 else 1)
        self.wan_kind[next_id] = "cellular"
        self.cellular_id = next_id
        next_id += 1
        if extra.get("wifi_wan", True):
            wifi = self._wan_config("Wi-Fi WAN", "wireless", priority=3)
            wifi["enable"] = False
            wans[next_id] = wifi
            self.wan_kind[next_id] = "wireless"
        self.wan_uptime_base = {wan_id: rng.randrange(3600, 30 * 86400) for wan_id in wans}

        ssids = {
            1: {
                "name": f"PEPWAVE_{mac_tail}",
                "enable": True,
                "captivePortal": False,
                "incontrolManaged": False,
                "broadcast": True,
                "security": {
                    "policy": "WPA2 Personal",
                    "wpa2Personal": {"fastTransition": False, "key": self._hex(12)},
                },
            },
            2: {
                "name": "Guest",
                "enable": True,
                "captivePortal": True,
                "incontrolManaged": False,
                "broadcast": True,
                "vlanId": 10,
                "security": {
                    "policy": "WPA/WPA2 Personal",
                    "wpaWpa2Personal": {"key": self._hex(12)},
                },
            },
        }
        self.running: dict[str, dict[int, dict[str, Any]]] = {"wan": wans, "ssid": ssids}
        self.pending: dict[str, dict[int, dict[str, Any]]] | None = None
        self.lans = {
            0: {"ip": "192.168.50.1", "mask": 24},
            1: {"name": "Guest", "ip": "192.168.10.1", "vlanId": 10, "mask": 24},
        }
        self.ap_enabled = True
        self.cellular_sims = {"enabledSim": [1, 2], "preferredSim": 1}
        self.carrier_scan: dict[str, Any] = {"started": None}
        self.selected_carrier: dict[str, Any] | None = None
        self.inbox = [
            {"sender": "988", "parts": [(1, "Welcome to " + carrier[0] + ". Your data plan is active.")]},
            {"sender": "+4915112345678", "parts": [(2, "Multipart message part 1"), (6, "Multipart message part 2")]},
        ]
        self.inbox_time = int(time.time()) - rng.randrange(3600, 30 * 86400)
        self.clients = [self._new_client(i) for i in range(rng.randrange(4, 9))]
        self.client_seq = len(self.clients)
        self.last_client_churn = time.monotonic()

    def _hex(self, length: int) -> str:
        # Demo data comes from the device's rng so a manifest replays identically.
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(length))

    def _wan_config(self, name: str, kind: str, *, priority: int) -> dict[str, Any]:
        physical_type = {"ethernet": "ethernet", "cellular": "gobi", "wireless": "wireless"}[kind]
        cfg: dict[str, Any] = {
            "name": name,
            "asLan": False,
            "enable": True,
            "active": True,
            "multipleIp": [],
            "connection": {
                "method": "dhcp",
                "mode": "NAT",
                "icmpPing": True,
                "priority": priority,
                "dns": {"auto": True},
                "ddns": {"enable": False},
                "bandwidth": {
                    "upload": {"bandwidth": 100000, "unit": "kbps"},
                    "download": {"bandwidth": 100000, "unit": "kbps"},
                },
                "dhcp": {"hostname": ""},
            },
            "physical": {"type": physical_type},
            "healthcheck": {
                "enable": True,
                "method": "nslookup",
                "timeout": 5,
                "interval": 5,
                "retry": 3,
                "recovery": 3,
                "nslookup": {"includePublic": True},
            },
            "bandwidthAllowanceMonitor": {"enable": False},
        }
        if kind == "ethernet":
            cfg["physical"].update({"speed": "Auto", "advertise": True, "supportGigaEthernet": True})
        if kind == "cellular":
            cfg["bandwidthAllowanceMonitor"] = {
                "enable": True,
                "action": ["email"],
                "start": 1,
                "monthlyAllowance": {"value": 20480, "unit": "MB"},
            }
            cfg["cellular"] = {"useExternalAntenna": False, "simCardScheme": "", "preferredSim": 1}
        return cfg

    def _new_client(self, index: int) -> dict[str, Any]:
        rng = self.rng
        wireless = rng.random() < 0.6
        guest = rng.random() < 0.25
        ssid_id = 2 if guest else 1
        octets = [rng.choice([0x9C, 0xE4, 0x34, 0x3C, 0xA4, 0xF0]), *(rng.randrange(256) for _ in range(5))]
        mac = ":".join(f"{octet:02X}" for octet in octets)
        base = 10 if guest else 50
        return {
            "mac": mac,
            "ip": f"192.168.{base}.{10 + (index * 7 + rng.randrange(5)) % 240}",
            "name": f"{CLIENT_NAMES[index % len(CLIENT_NAMES)]}",
            "wireless": wireless,
            "ssid_id": ssid_id,
            "vlanId": 10 if guest else None,
            "active": rng.random() < 0.8,
            "strength": rng.randrange(-85, -40),
            "lease": rng.randrange(600, 86400),
        }

    def config(self, *, pending: bool) -> dict[str, dict[int, dict[str, Any]]]:
        if pending:
            if self.pending is None:
                self.pending = copy.deepcopy(self.running)
            return self.pending
        return self.running

    def reboot(self, seconds: float = 5.0) -> None:
        super().reboot(seconds)
        # A rebooting router forgets its login sessions and unsaved changes;
        # access tokens are stored in flash and survive.
        self.sessions.clear()
        self.pending = None
        self.wan_uptime_base = dict.fromkeys(self.wan_uptime_base, 0)

    # -- readings ------------------------------------------------------------
    def _drift_cell(self) -> dict[str, float]:
        rng, cell = self.rng, self.cell
        steps = {"rsrp": 2.0, "rsrq": 0.8, "sinr": 1.5, "rssi": 2.0}
        for key, step in steps.items():
            cell[key] = _clamp(cell[key] + rng.uniform(-step, step), *self.cell_limits[key])
        return cell

    def _band_signals(self) -> list[dict[str, Any]]:
        cell = self._drift_cell()
        out = []
        for index, name in enumerate(self.cell_bands):
            # Secondary carriers read a little weaker than the anchor band.
            offset = -4 * index
            out.append(
                {
                    "name": name,
                    "signal": {
                        "rssi": round(cell["rssi"] + offset),
                        "sinr": round(cell["sinr"] + offset / 2, 1),
                        "rsrp": round(cell["rsrp"] + offset),
                        "rsrq": round(cell["rsrq"] + offset / 4),
                    },
                }
            )
        return out

    def _signal_level(self) -> int:
        rsrp = self.cell["rsrp"]
        return 5 if rsrp > -85 else 4 if rsrp > -95 else 3 if rsrp > -105 else 2 if rsrp > -112 else 1

    def _wan_uptime(self, wan_id: int) -> int:
        return self.wan_uptime_base.get(wan_id, 0) + self.uptime_s()

    def _usage_mb(self) -> int:
        return int(self.usage_base_mb + self.usage_rate_mb_s * (time.monotonic() - self.started))

    def _churn_clients(self) -> None:
        """Clients come and go: a few flips per elapsed minute, deterministic per seed."""
        now = time.monotonic()
        steps = min(10, int((now - self.last_client_churn) / 20) + 1)
        self.last_client_churn = now
        rng = self.rng
        for _ in range(steps):
            if rng.random() < 0.35 and self.clients:
                client = rng.choice(self.clients)
                client["active"] = not client["active"]
                client["strength"] = int(_clamp(client["strength"] + rng.randrange(-5, 6), -90, -35))
            if rng.random() < 0.1 and len(self.clients) < 24:
                self.clients.append(self._new_client(self.client_seq))
                self.client_seq += 1
            if rng.random() < 0.08 and len(self.clients) > 3:
                gone = [c for c in self.clients if not c["active"]]
                if gone:
                    self.clients.remove(rng.choice(gone))

    # -- app -----------------------------------------------------------------
    def listen_ports(self) -> list[tuple[int, bool]]:
        ports = [(self.device.port, False)]
        if self.device.https_port:
            ports.append((self.device.https_port, True))
        return ports

    def add_routes(self, app: web.Application) -> None:
        self.handlers: dict[tuple[str, str], tuple[str, Handler]] = {
            # (method, object): (permission, handler)
            ("POST", "login"): ("public", self.login),
            ("POST", "logout"): ("public", self.logout),
            ("GET", "auth.client"): ("admin", self.auth_client_list),
            ("POST", "auth.client"): ("admin", self.auth_client_change),
            ("GET", "auth.client.token"): ("admin", self.auth_client_tokens),
            ("POST", "auth.token.grant"): ("public", self.auth_token_grant),
            ("POST", "auth.token.revoke"): ("token-or-admin", self.auth_token_revoke),
            ("GET", "info.firmware"): ("public", self.info_firmware),
            ("GET", "info.location"): ("read", self.info_location),
            ("GET", "status.wan.connection"): ("read", self.status_wan),
            ("GET", "status.wan.connection.signal"): ("read", self.status_wan_signal),
            ("GET", "status.wan.connection.allowance"): ("read", self.status_wan_allowance),
            ("GET", "status.client"): ("read", self.status_client),
            ("GET", "status.lan.profile"): ("read", self.status_lan),
            ("GET", "status.pepvpn"): ("read", self.status_pepvpn),
            ("GET", "config.wan.connection"): ("read", self.config_wan_get),
            ("POST", "config.wan.connection"): ("write", self.config_wan_post),
            ("POST", "config.wan.connection.priority"): ("write", self.config_wan_priority),
            ("GET", "config.ssid.profile"): ("read", self.config_ssid_get),
            ("POST", "config.ssid.profile"): ("write", self.config_ssid_post),
            ("POST", "cmd.config.apply"): ("write", self.cmd_config_apply),
            ("POST", "cmd.config.discard"): ("write", self.cmd_config_discard),
            ("GET", "cmd.ap"): ("read", self.cmd_ap_get),
            ("POST", "cmd.ap"): ("write", self.cmd_ap_post),
            ("GET", "cmd.sms.get"): ("read", self.cmd_sms_get),
            ("POST", "cmd.sms.sendMessage"): ("write", self.cmd_sms_send),
            ("GET", "cmd.wan.cellular"): ("read", self.cmd_wan_cellular_get),
            ("POST", "cmd.wan.cellular"): ("write", self.cmd_wan_cellular_post),
            ("POST", "cmd.cellularModule.reset"): ("write", self.cmd_cellular_reset),
            ("GET", "cmd.carrier.scan"): ("read", self.cmd_carrier_scan),
            ("POST", "cmd.carrier.scan"): ("write", self.cmd_carrier_scan),
            ("GET", "cmd.wifi.scan"): ("read", self.cmd_wifi_scan),
        }
        app.router.add_route("*", "/api/{name}", self.dispatch)

    async def dispatch(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        entry = self.handlers.get((request.method, name))
        if entry is None:
            if any(key[1] == name for key in self.handlers):
                return fail(405, "Method not allowed")
            return fail(404, "API not found")
        permission, handler = entry
        self.stats[f"{request.method} {name}"] += 1
        try:
            params = await Params.from_request(request)
            auth = self._authenticate(request)
            auth.cookie_name = "bauth" if request.secure else "pauth"
            auth.method = request.method
            if not self._allowed(permission, auth, name):
                if not (auth.read or auth.write):
                    self.stats["unauthorized"] += 1
                    http = any(name.startswith(prefix) for prefix in self.unauthorized_http_prefixes)
                    self.stats["unauthorized_http" if http else "unauthorized_envelope"] += 1
                    return fail(401, "Unauthorized", http_status=401 if http else 200)
                return fail(403, "Permission denied")
            return await handler(params, auth)
        except ApiFail as exc:
            return fail(exc.code, exc.message, http_status=exc.http_status)

    def _authenticate(self, request: web.Request) -> Auth:
        if self.device.faults.auth_failure:
            return Auth()
        now = self.now()
        token = request.query.get("accessToken")
        if token:
            record = self.tokens.get(token)
            if record is None or record.expires_at <= now:
                self.tokens.pop(token, None)
                return Auth()
            write = record.scope == "api"
            return Auth(read=True, write=write, token=token)
        cookie_name = "bauth" if request.secure else "pauth"
        session_id = request.cookies.get(cookie_name)
        session = self.sessions.get(session_id or "")
        if session is None or session.cookie != cookie_name:
            return Auth()
        if session.expires_at <= now:
            del self.sessions[session_id]
            return Auth()
        # Idle timeout: every use of the session renews it.
        session.expires_at = now + self.session_ttl_s
        return Auth(
            read=bool(session.permission["GET"]),
            write=bool(session.permission["POST"]),
            admin=session.admin,
            session_id=session_id,
        )

    @staticmethod
    def _allowed(permission: str, auth: Auth, name: str) -> bool:
        if permission == "public":
            return True
        if permission == "read":
            return auth.read
        if permission == "write":
            return auth.write
        if permission == "admin":
            return auth.admin
        if permission == "token-or-admin":
            return auth.admin or auth.token is not None
        return False

    # -- auth ----------------------------------------------------------------
    async def login(self, params: Params, auth: Auth) -> web.Response:
        self.stats["logins"] += 1
        username = params.text("username")
        password = params.text("password")
        if not username or not password:
            raise ApiFail(400, "Username and password are required")
        if (
            self.device.faults.auth_failure
            or username != self.device.username
            or not secrets.compare_digest(password, self.device.password)
        ):
            self.stats["login_failures"] += 1
            raise ApiFail(401, "Invalid username or password")
        cookie_name = auth.cookie_name
        now = self.now()
        # Forget expired sessions here so a portal that never logs out
        # cannot grow the table without bound.
        self.sessions = {k: v for k, v in self.sessions.items() if v.expires_at > now}
        session_id = secrets.token_hex(16)
        self.sessions[session_id] = Session(cookie=cookie_name, expires_at=self.now() + self.session_ttl_s)
        response = ok({"permission": {"GET": 1, "POST": 1}})
        response.set_cookie(
            cookie_name, session_id, path="/", httponly=True, secure=cookie_name == "bauth", samesite="Strict"
        )
        return response

    async def logout(self, params: Params, auth: Auth) -> web.Response:
        self.stats["logouts"] += 1
        if auth.session_id:
            self.sessions.pop(auth.session_id, None)
        response = ok()
        response.del_cookie(auth.cookie_name, path="/")
        return response

    def _client_obj(self, client: dict[str, Any]) -> dict[str, Any]:
        return {k: client[k] for k in ("name", "clientId", "clientSecret", "confidential", "createTimestamp", "scope")}

    async def auth_client_list(self, params: Params, auth: Auth) -> web.Response:
        return ok([self._client_obj(c) for c in self.api_clients.values()])

    async def auth_client_change(self, params: Params, auth: Auth) -> web.Response:
        action = params.text("action")
        if action == "add":
            name = params.text("name")
            scope = params.text("scope")
            if not name or scope not in ("api", "api.read-only"):
                raise ApiFail(400, "Invalid parameter: name/scope")
            client = {
                "name": name,
                "clientId": secrets.token_hex(16),
                "clientSecret": secrets.token_hex(16),
                "confidential": False,
                "createTimestamp": int(time.time()),
                "scope": scope,
            }
            self.api_clients[client["clientId"]] = client
            return ok(self._client_obj(client))
        if action == "remove":
            client_id = params.text("clientId") or ""
            if self.api_clients.pop(client_id, None) is None:
                raise ApiFail(400, "Client not found")
            self.tokens = {t: r for t, r in self.tokens.items() if r.client_id != client_id}
            return ok()
        raise ApiFail(400, "Invalid parameter: action")

    async def auth_client_tokens(self, params: Params, auth: Auth) -> web.Response:
        client_id = params.text("clientId")
        now = self.now()
        out = [
            {
                "accessToken": token,
                "clientId": record.client_id,
                "clientName": record.client_name,
                "authorizationType": 3,
                "scope": record.scope,
                "createTimestamp": record.created,
            }
            for token, record in self.tokens.items()
            if record.expires_at > now and (client_id is None or record.client_id == client_id)
        ]
        return ok(out)

    async def auth_token_grant(self, params: Params, auth: Auth) -> web.Response:
        self.stats["grants"] += 1
        client = self.api_clients.get(params.text("clientId") or "")
        secret = params.text("clientSecret") or ""
        if (
            self.device.faults.auth_failure
            or client is None
            or not secrets.compare_digest(secret, client["clientSecret"])
        ):
            self.stats["grant_failures"] += 1
            raise ApiFail(401, "Invalid client credentials")
        scope = params.text("scope") or client["scope"]
        if scope not in ("api", "api.read-only") or (client["scope"] == "api.read-only" and scope == "api"):
            raise ApiFail(400, "Invalid parameter: scope")
        now = self.now()
        self.tokens = {k: v for k, v in self.tokens.items() if v.expires_at > now}
        token = secrets.token_hex(16)
        ttl = self.token_ttl_s
        self.tokens[token] = AccessToken(client["clientId"], client["name"], scope, int(time.time()), self.now() + ttl)
        return ok({"accessToken": token, "authorizationType": 3, "scope": scope, "expiresIn": int(ttl)})

    async def auth_token_revoke(self, params: Params, auth: Auth) -> web.Response:
        token = params.text("accessToken") or ""
        if not auth.admin and token != auth.token:
            raise ApiFail(403, "Permission denied")
        if self.tokens.pop(token, None) is None:
            raise ApiFail(400, "Access token not found")
        return ok()

    # -- info ----------------------------------------------------------------
    async def info_firmware(self, params: Params, auth: Auth) -> web.Response:
        if not auth.read:
            # Before login the device only tells the running version.
            return ok({"2": {"version": self.firmware}, "order": [2]})
        return ok(
            {
                "1": {"version": "8.1.0 build 4947", "bootable": True, "inUse": False},
                "2": {"version": self.firmware, "bootable": True, "inUse": True},
                "order": [1, 2],
            }
        )

    async def info_location(self, params: Params, auth: Auth) -> web.Response:
        if not self.device.extra.get("gps", self.profile.gps):
            raise ApiFail(400, "GPS is not supported")
        rng = self.rng
        lat = 52.2297 + (self.device.seed % 1000) / 10000 + rng.uniform(-0.00005, 0.00005)
        lon = 21.0122 + (self.device.seed % 777) / 10000 + rng.uniform(-0.00005, 0.00005)
        return ok(
            {
                "gps": True,
                "location": {
                    "latitude": round(lat, 6),
                    "longitude": round(lon, 6),
                    "altitude": round(rng.uniform(90, 120), 1),
                    "speed": round(rng.uniform(0, 0.05), 6),
                    "heading": round(rng.uniform(0, 360), 3),
                    "pdop": 1.3,
                    "hdop": 1,
                    "vdop": 0.8,
                    "timestamp": int(time.time()),
                },
            }
        )

    # -- status --------------------------------------------------------------
    def _select_ids(self, available: dict[int, Any], wanted: list[int]) -> list[int]:
        if not wanted:
            return list(available)
        return [i for i in wanted if i in available]

    async def status_wan(self, params: Params, auth: Auth) -> web.Response:
        wans = self.running["wan"]
        lite = params.text("lite", "no") == "yes" and self.profile.lite_supported
        out = {wan_id: self._wan_status(wan_id, lite=lite) for wan_id in self._select_ids(wans, params.numbers("id"))}
        return ok(ordered(out))

    def _wan_status(self, wan_id: int, *, lite: bool) -> dict[str, Any]:
        cfg = self.running["wan"][wan_id]
        kind = self.wan_kind[wan_id]
        conn = cfg["connection"]
        status: dict[str, Any] = {
            "name": cfg["name"],
            "enable": cfg["enable"],
            "asLan": cfg["asLan"],
            "type": kind,
            "virtualType": kind,
        }
        if not cfg["enable"]:
            # A disabled WAN reports neither an address nor a priority.
            status.update({"message": "Disabled", "statusLed": "gray", "uptime": 0})
            return status
        octet = self.wan_ip_octet
        ip = {
            "cellular": f"100.{64 + wan_id}.{octet}.{10 + wan_id}",
            "wireless": f"192.168.8.{10 + octet % 200}",  # behind someone's hotspot
        }.get(kind, f"203.0.113.{octet}")
        gateway = ".".join([*ip.split(".")[:3], "1"])
        status.update(
            {
                "message": "Connected",
                "statusLed": "green",
                "uptime": self._wan_uptime(wan_id),
                "priority": conn.get("priority", 1),
                "groupSet": 1,
                "ip": ip,
            }
        )
        if not lite:
            status.update(
                {
                    "mask": 24,
                    "gateway": gateway,
                    "method": "static" if conn.get("method") == "staticIp" else "dhcp",
                    "mode": conn.get("mode", "NAT"),
                    "dns": conn.get("dns", {}).get("host") or ["9.9.9.9", "1.1.1.1"],
                    "additionalIp": list(cfg.get("multipleIp", [])),
                    "mac": self._wan_mac(wan_id),
                }
            )
            mtu = cfg.get("physical", {}).get("mtu")
            if mtu:
                status["mtu"] = mtu
        if kind == "cellular":
            status["cellular"] = self._cellular_status(lite=lite)
        if kind == "wireless":
            strength = self._wifi_strength()
            status["wireless"] = {"signal": {"strength": strength}}
            if not lite:
                status["wireless"].update({"ssid": WIFI_UPLINK[0], "bssid": self._wan_mac(32)})
        return status

    def _wifi_strength(self) -> int:
        return self.rng.randrange(-75, -55)

    def _wan_mac(self, wan_id: int) -> str:
        octets = self.device.mac.split(":") if self.device.mac.count(":") == 5 else ["00", "1A", "DD", "00", "00", "00"]
        last = (int(octets[5], 16) + wan_id) % 256
        return ":".join([*octets[:5], f"{last:02X}"])

    def _cellular_status(self, *, lite: bool) -> dict[str, Any]:
        sims: dict[str, Any] = {"order": [1, 2]}
        sims["1"] = {"status": "In Use", "active": True}
        sims["2"] = {"status": "No SIM Card Detected", "active": False}
        if not lite:
            sims["1"].update({"apn": "internet", "imsi": self.imsi, "iccid": self.iccid, "mtn": ""})
        cell: dict[str, Any] = {
            "roamingStatus": {"code": 1, "message": "home"},
            "mobileType": "LTE",
            "sim": sims,
            "carrier": {"name": self.carrier["name"]},
            "signalLevel": self._signal_level(),
            "band": self._band_signals(),
            "mcc": self.carrier["mcc"],
            "mnc": self.carrier["mnc"],
            "cellTower": {"cellId": 20000000 + self.device.seed % 100000, "tac": 1000 + self.device.seed % 500},
        }
        if not lite:
            cell["carrier"]["country"] = self.carrier["country"]
            cell["imei"] = self.imei
            cell["mode"] = "LTE"
        return cell

    async def status_wan_signal(self, params: Params, auth: Auth) -> web.Response:
        wans = self.running["wan"]
        wanted_types = set(params.many("virtualType"))
        info = set(params.many("infoType")) or {"virtualType", "signal", "activeSim", "wifi", "band", "signalLevel"}
        out: dict[int, Any] = {}
        for wan_id in self._select_ids(wans, params.numbers("connId")):
            kind = self.wan_kind[wan_id]
            if wanted_types and kind not in wanted_types:
                continue
            if kind == "ethernet" or not wans[wan_id]["enable"]:
                # "If the WAN is not cellular, modem or Wi-Fi, null will be show."
                out[wan_id] = None
                continue
            entry: dict[str, Any] = {}
            if "virtualType" in info:
                entry["virtualType"] = kind
            if kind == "cellular":
                if "activeSim" in info:
                    entry["activeSim"] = {"carrierName": self.carrier["name"], "network": "LTE"}
                if "band" in info or "signal" in info:
                    entry["band"] = self._band_signals()
                if "signalLevel" in info:
                    entry["signalLevel"] = self._signal_level()
            else:
                if "wifi" in info:
                    entry["wifi"] = {"ssid": WIFI_UPLINK[0], "securityPolicy": WIFI_UPLINK[1]}
                if "signal" in info:
                    strength = self._wifi_strength()
                    entry["signal"] = {"strength": strength, "level": max(0, min(5, (strength + 100) // 11))}
            out[wan_id] = entry
        return ok(ordered(out))

    async def status_wan_allowance(self, params: Params, auth: Auth) -> web.Response:
        wans = self.running["wan"]
        out: dict[int, Any] = {}
        for wan_id in self._select_ids(wans, params.numbers("connId")):
            monitor = wans[wan_id].get("bandwidthAllowanceMonitor", {})
            if self.wan_kind[wan_id] == "cellular":
                sims: dict[int, Any] = {}
                for sim_id in (1, 2):
                    sims[sim_id] = self._allowance(monitor if sim_id == 1 else {"enable": False}, sim_id == 1)
                out[wan_id] = ordered(sims)
            else:
                out[wan_id] = self._allowance(monitor, True)
        return ok(ordered(out))

    def _allowance(self, monitor: dict[str, Any], in_use: bool) -> dict[str, Any]:
        if not monitor.get("enable"):
            return {"enable": False}
        limit = int(monitor.get("monthlyAllowance", {}).get("value", 0))
        usage = self._usage_mb() if in_use else 0
        return {
            "enable": True,
            "usage": usage,
            "limit": limit,
            "percent": min(100, int(usage * 100 / limit)) if limit else 0,
            "start": monitor.get("start", 1),
            "unit": "MB",
        }

    async def status_client(self, params: Params, auth: Auth) -> web.Response:
        self._churn_clients()
        vlan = params.number("vlanId")
        active_only = params.text("activeOnly") == "yes"
        types = set(params.many("connectionType"))
        size = params.number("size", 1000) or 1000
        weight = params.text("outputWeight", "normal")
        info_types = set(params.many("infoType"))
        if not info_types:
            info_types = {
                "full": {"ip", "connectionType", "lease", "name", "mac", "bssid", "vlanId", "essid", "active"}
                | {"signalStrength", "speed", "port"},
                "lite": {"ip", "connectionType", "name", "mac", "bssid", "vlanId"},
            }.get(weight or "normal", {"ip", "connectionType", "name", "mac", "bssid", "vlanId", "essid", "active"})
        ssids = self.running["ssid"]
        out = []
        for client in self.clients:
            conn_type = "wireless" if client["wireless"] else "ethernet"
            if vlan is not None and client["vlanId"] != vlan:
                continue
            if active_only and not client["active"]:
                continue
            if types and conn_type not in types:
                continue
            item: dict[str, Any] = {}
            if "ip" in info_types:
                item["ip"] = client["ip"]
            # An inactive client has no connection type (fw >= 8.1.1).
            if "connectionType" in info_types and client["active"]:
                item["connectionType"] = conn_type
            if "lease" in info_types:
                item["lease"] = {"expiresIn": client["lease"], "type": "dhcp"}
            if "name" in info_types:
                item["name"] = client["name"]
            if "mac" in info_types:
                item["mac"] = client["mac"]
            if client["wireless"] and "bssid" in info_types:
                item["bssid"] = self._wan_mac(16 + client["ssid_id"])
            if client["vlanId"] is not None and "vlanId" in info_types:
                item["vlanId"] = client["vlanId"]
            if client["wireless"] and "essid" in info_types:
                item["essid"] = ssids.get(client["ssid_id"], {}).get("name", "")
            if "active" in info_types:
                item["active"] = client["active"]
            if client["wireless"] and client["active"] and "signalStrength" in info_types:
                level = max(1, min(5, (client["strength"] + 100) // 12))
                item["signalStrength"] = {"value": client["strength"], "unit": "dBm"}
                item["signal"] = {"strength": client["strength"], "level": level}
            if client["active"] and "speed" in info_types:
                item["speed"] = {
                    "download": self.rng.randrange(0, 40000),
                    "upload": self.rng.randrange(0, 8000),
                    "unit": "kbps",
                }
            out.append(item)
        return ok({"list": out[:size]})

    async def status_lan(self, params: Params, auth: Auth) -> web.Response:
        ids = self._select_ids(self.lans, params.numbers("id"))
        return ok(ordered({i: dict(self.lans[i]) for i in ids}))

    async def status_pepvpn(self, params: Params, auth: Auth) -> web.Response:
        info = set(params.many("infoType")) or {"profile", "peer", "tunnel"}
        lite = params.text("lite") == "yes"
        tunnel_ids = params.many("tunnelOption")
        out: dict[str, Any] = {}
        if "profile" in info:
            profile: dict[str, Any] = {"name": "HQ", "master": True}
            if not lite:
                profile.update(
                    {
                        "status": "CONNECTED",
                        "conflictCount": 0,
                        "peerCount": 1,
                        "userShared": False,
                        "userCount": 0,
                        "type": "l3",
                    }
                )
            out["profile"] = {"1": profile, "siteId": self.device.serial, "order": [1]}
        if "peer" in info:
            out["peer"] = [
                {
                    "serialNumber": "1825-4131-B4E7",
                    "status": "CONNECTED",
                    "name": "HQ-Balance-710",
                    "profileId": 1,
                    "secure": True,
                    "type": "l3",
                    "username": self.device.serial.lower(),
                    "route": ["10.0.0.0/16"],
                    "peerId": "1-1",
                }
            ]
        if "tunnel" in info and tunnel_ids:
            tunnels: dict[str, Any] = {}
            for peer_id in tunnel_ids:
                if peer_id != "1-1":
                    continue
                wan_map: dict[int, Any] = {}
                for wan_id, cfg in self.running["wan"].items():
                    if cfg["enable"]:
                        wan_map[wan_id] = {
                            "time": {"second": self.uptime_s(), "nanoSecond": 0},
                            "rtt": self.rng.randrange(8, 60),
                            "rx": [self.uptime_s() * 1200],
                            "tx": [self.uptime_s() * 900],
                            "loss": [0],
                            "priority": cfg["connection"].get("priority", 1),
                            "state": "ACTIVE",
                            "name": cfg["name"],
                        }
                    else:
                        wan_map[wan_id] = {"priority": 0, "state": "WAN_DISABLED", "name": cfg["name"]}
                tunnels[peer_id] = {
                    "wan": ordered(wan_map),
                    "overall": {
                        "time": {"second": self.uptime_s(), "nanoSecond": 0},
                        "receive": {"packet": {"forward": self.uptime_s() * 3, "loss": 0, "outOfOrder": 0}},
                        "transmit": {"packet": {"forward": self.uptime_s() * 2, "loss": 0, "outOfOrder": 0}},
                    },
                }
            out["tunnel"] = {**tunnels, "order": list(tunnels)}
        return ok(out)

    # -- config: WAN -----------------------------------------------------------
    async def config_wan_get(self, params: Params, auth: Auth) -> web.Response:
        wans = self.running["wan"]
        sections = set(params.many("infoType"))
        out = {}
        for wan_id in self._select_ids(wans, params.numbers("id")):
            cfg = copy.deepcopy(wans[wan_id])
            if sections:
                for key in (
                    "multipleIp",
                    "connection",
                    "physical",
                    "healthcheck",
                    "bandwidthAllowanceMonitor",
                    "cellular",
                ):
                    if key not in sections:
                        cfg.pop(key, None)
            out[wan_id] = cfg
        return ok(ordered(out))

    async def config_wan_post(self, params: Params, auth: Auth) -> web.Response:
        if params.text("action") != "update":
            raise ApiFail(400, "Invalid parameter: action")
        items = params.obj("list")
        if isinstance(items, dict):
            items = [items]
        if not isinstance(items, list) or not items:
            raise ApiFail(400, "Invalid parameter: list")
        # Validate every item against a scratch copy first, so a bad item
        # leaves the pending configuration untouched.
        scratch = copy.deepcopy(self.config(pending=True)["wan"])
        touched = []
        for item in items:
            if not isinstance(item, dict):
                raise ApiFail(400, "Invalid parameter: list")
            wan_id = _as_int(item.get("id"), "id")
            if wan_id not in scratch:
                raise ApiFail(400, f"Invalid WAN connection ID: {wan_id}")
            _merge_wan_update(scratch[wan_id], item)
            touched.append(wan_id)
        self.pending["wan"] = scratch  # type: ignore[index]
        return ok(ordered({i: copy.deepcopy(scratch[i]) for i in dict.fromkeys(touched)}))

    async def config_wan_priority(self, params: Params, auth: Auth) -> web.Response:
        instant = params.flag("instantActive", False)
        items = params.obj("list") or []
        if isinstance(items, dict):
            items = [items]
        targets = [self.running] if instant else []
        if not instant or self.pending is not None:
            targets.append(self.config(pending=True))
        changes = []
        for item in items:
            if not isinstance(item, dict):
                raise ApiFail(400, "Invalid parameter: list")
            wan_id = _as_int(item.get("connId"), "connId")
            if wan_id not in self.running["wan"]:
                raise ApiFail(400, f"Invalid WAN connection ID: {wan_id}")
            change: dict[str, Any] = {}
            if item.get("priority") is not None:
                change["priority"] = _as_int(item["priority"], "priority")
            if item.get("enable") is not None:
                change["enable"] = to_bool(item["enable"], "enable")
            changes.append((wan_id, change))
        for target in targets:
            for wan_id, change in changes:
                cfg = target["wan"][wan_id]
                if "priority" in change:
                    cfg["connection"]["priority"] = change["priority"]
                if "enable" in change:
                    cfg["enable"] = change["enable"]
        shown = targets[-1]["wan"]
        ids = [wan_id for wan_id, _ in changes] or list(shown)
        return ok(
            ordered(
                {
                    i: {
                        "name": shown[i]["name"],
                        "priority": shown[i]["connection"].get("priority"),
                        "enable": shown[i]["enable"],
                    }
                    for i in dict.fromkeys(ids)
                }
            )
        )

    # -- config: SSID ----------------------------------------------------------
    async def config_ssid_get(self, params: Params, auth: Auth) -> web.Response:
        ssids = self.running["ssid"]
        ids = self._select_ids(ssids, params.numbers("id"))
        return ok(ordered({i: copy.deepcopy(ssids[i]) for i in ids}))

    async def config_ssid_post(self, params: Params, auth: Auth) -> web.Response:
        if params.text("action") != "update":
            raise ApiFail(400, "Invalid parameter: action")
        profile_id = params.number("id")
        ssids = self.config(pending=True)["ssid"]
        if profile_id not in ssids:
            raise ApiFail(400, f"Invalid SSID profile ID: {profile_id}")
        profile = copy.deepcopy(ssids[profile_id])
        if params.has("name"):
            name = params.text("name") or ""
            if not 1 <= len(name) <= 32:
                raise ApiFail(400, "Invalid parameter: name")
            profile["name"] = name
        for key in ("enable", "broadcast"):
            if params.has(key):
                profile[key] = params.flag(key)
        if params.has("vlanId"):
            vlan = params.raw("vlanId")
            if vlan in (None, "", 0, "0"):
                profile.pop("vlanId", None)
            else:
                vlan_id = params.number("vlanId") or 0
                if not 1 <= vlan_id <= 4094:
                    raise ApiFail(400, "Invalid parameter: vlanId")
                profile["vlanId"] = vlan_id
        security = params.obj("security")
        if security is not None:
            if not isinstance(security, dict):
                raise ApiFail(400, "Invalid parameter: security")
            _merge_security(profile, security)
        ssids[profile_id] = profile
        return ok(ordered({profile_id: copy.deepcopy(profile)}))

    async def cmd_config_apply(self, params: Params, auth: Auth) -> web.Response:
        self.stats["applies"] += 1
        if self.pending is not None:
            self.running = self.pending
            self.pending = None
        return ok()

    async def cmd_config_discard(self, params: Params, auth: Auth) -> web.Response:
        self.stats["discards"] += 1
        self.pending = None
        return ok()

    # -- commands ----------------------------------------------------------------
    def _ap(self) -> dict[str, Any]:
        return {"support": True, "enable": self.ap_enabled, "wanDependent": False}

    async def cmd_ap_get(self, params: Params, auth: Auth) -> web.Response:
        return ok(self._ap())

    async def cmd_ap_post(self, params: Params, auth: Auth) -> web.Response:
        enable = params.flag("enable")
        if enable is None:
            raise ApiFail(400, "Invalid parameter: enable")
        self.ap_enabled = enable
        return ok(self._ap())

    def _cellular_conn(self, params: Params, *, required: bool = True) -> int:
        conn_id = params.number("connId")
        if conn_id is None:
            if required:
                raise ApiFail(400, "Invalid parameter: connId")
            return self.cellular_id
        if self.wan_kind.get(conn_id) != "cellular":
            raise ApiFail(400, f"WAN connection {conn_id} is not a cellular connection")
        return conn_id

    async def cmd_sms_get(self, params: Params, auth: Auth) -> web.Response:
        conn_id = self._cellular_conn(params)
        sms = []
        for offset, thread in enumerate(self.inbox):
            stamp = self.inbox_time + offset * 3600
            messages = []
            for msg_id, text in thread["parts"]:
                messages.append(
                    {
                        "id": msg_id,
                        "date": time.strftime("%b %d %H:%M", time.gmtime(stamp)),
                        "timestamp": stamp,
                        "length": str(len(text)),
                        # The cURL example names the text "message", the
                        # parameter table "content": send both.
                        "message": text,
                        "content": text,
                    }
                )
            sms.append({"sender": thread["sender"], "message": messages})
        return ok({"connId": conn_id, "simId": 1, "sms": sms})

    async def cmd_sms_send(self, params: Params, auth: Auth) -> web.Response:
        conn_id = self._cellular_conn(params, required=False)
        address = params.text("address") or ""
        if not SMS_ADDRESS.match(address):
            raise ApiFail(400, "Invalid parameter: address")
        self.sent_sms.append({"connId": conn_id, "address": address, "content": params.text("content", "")})
        return ok()

    async def cmd_wan_cellular_get(self, params: Params, auth: Auth) -> web.Response:
        self._cellular_conn(params)
        return ok(copy.deepcopy(self.cellular_sims))

    async def cmd_wan_cellular_post(self, params: Params, auth: Auth) -> web.Response:
        self._cellular_conn(params)
        if params.has("enabledSim"):
            sims = params.numbers("enabledSim")
            if not sims or any(s not in (1, 2) for s in sims):
                raise ApiFail(400, "Invalid parameter: enabledSim")
            self.cellular_sims["enabledSim"] = sorted(set(sims))
        if params.has("preferredSim"):
            preferred = params.raw("preferredSim")
            if preferred in (None, "", "null"):
                self.cellular_sims["preferredSim"] = None
            else:
                value = params.number("preferredSim")
                if value not in (1, 2):
                    raise ApiFail(400, "Invalid parameter: preferredSim")
                self.cellular_sims["preferredSim"] = value
        return ok()

    async def cmd_cellular_reset(self, params: Params, auth: Auth) -> web.Response:
        self._cellular_conn(params)
        self.stats["cellular_resets"] += 1
        response = ok()
        # The NOC reaches these routers over the cellular WAN, so a modem
        # reset takes the device off the air until the modem re-attaches.
        # The answer is built first and still goes out on this connection.
        self.reboot(float(self.device.extra.get("reboot_s", 5.0)))
        return response

    async def cmd_carrier_scan(self, params: Params, auth: Auth) -> web.Response:
        conn_id = self._cellular_conn(params)
        scan_s = float(self.device.extra.get("carrier_scan_s", 2.0))
        if auth.method == "POST" and params.text("action") == "start":
            self.carrier_scan = {"started": time.monotonic()}
        started = self.carrier_scan.get("started")
        result: dict[str, Any] = {"scanStatus": "done"}
        if started is not None and time.monotonic() - started < scan_s:
            result["scanStatus"] = "scanning"
        result["timestamp"] = int(time.time())
        result["list"] = [
            {"name": name, "mobileType": "LTE", "mcc": mcc, "mnc": str(int(mnc)), "pcs": 0}
            for name, _country, mcc, mnc in CARRIERS
            if mcc == self.carrier["mcc"]
        ]
        if (params.text("reference") or "no") == "yes":
            selected = copy.deepcopy(self.selected_carrier)
            # Table: "selectedCarrier"; cURL example: "cellularNetwork".
            result["reference"] = {"activeSim": {"simId": 1, "selectedCarrier": selected, "cellularNetwork": selected}}
        self.stats[f"carrier_scan_{conn_id}"] += 1
        return ok(result)

    async def cmd_wifi_scan(self, params: Params, auth: Auth) -> web.Response:
        conn_id = params.number("connId")
        if conn_id is None or self.wan_kind.get(conn_id) != "wireless":
            raise ApiFail(400, "Invalid parameter: connId")
        rng = self.rng
        info_type = params.text("infoType")
        joined = self.running["wan"][conn_id]["enable"]
        found = []
        for index, (ssid, policy) in enumerate(
            [("Cafe-Free", "open"), WIFI_UPLINK, ("Corp", "wpa-eap"), ("Printer-Direct", "wpa-psk")]
        ):
            strength = rng.randrange(-90, -45)
            entry: dict[str, Any] = {
                "ssid": ssid,
                "bssid": f"A2:E5:B8:55:{index:02X}:{(self.device.seed + index) % 256:02X}",
                "signal": strength,
                "signalStrength": strength,
                "signalLevel": max(0, min(5, (strength + 100) // 11)),
                "channel": [1, 6, 11, 36][index],
                "securityPolicy": policy,
            }
            # Only the uplink network has a connect profile (profile 1).
            uplink = ssid == WIFI_UPLINK[0]
            if info_type == "status":
                entry["status"] = {"inUse": uplink and joined, "connected": uplink and joined}
            elif info_type == "config" and uplink:
                entry["config"] = {"profileId": 1, "automatic": True}
            found.append(entry)
        sort_by = params.text("sortBy", "name")
        key = {
            "name": lambda e: e["ssid"].lower(),
            "security": lambda e: e["securityPolicy"],
            "signal": lambda e: e["signalStrength"],
            "channel": lambda e: e["channel"],
        }.get(sort_by or "name")
        if key is None:
            raise ApiFail(400, "Invalid parameter: sortBy")
        found.sort(key=key, reverse=params.text("sortOrder", "asc") == "desc")
        return ok(found)


# ---------------------------------------------------------------------------
# POST shape -> stored (GET) shape
# ---------------------------------------------------------------------------


def _as_int(value: Any, name: str) -> int:
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, bool):
        raise ApiFail(400, f"Invalid parameter: {name}")
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ApiFail(400, f"Invalid parameter: {name}") from exc


_UNIT_KBPS = {"kbps": 1, "Mbps": 1000, "Gbps": 1000000}
_UNIT_MB = {"MB": 1, "GB": 1024, "TB": 1024 * 1024}
_METHODS = {
    "dhcp": "dhcp",
    "staticIp": "staticIp",
    "pppoe": "pppoe",
    "l2tp": "l2tp",
    "gre": "gre",
    "openvpn": "openvpn",
}


def _merge_wan_update(cfg: dict[str, Any], item: dict[str, Any]) -> None:
    """Apply one documented ``<WAN_Config_Obj>`` update to the stored config.

    The update shape differs from the one GET returns (``routingMode`` vs
    ``mode``, ``method: {type, detail}`` vs a string, bandwidth ``value`` in
    any unit vs ``bandwidth`` in kbps); the device stores the GET shape.
    Only the given fields change.
    """
    if "name" in item:
        name = item["name"]
        if not isinstance(name, str) or not name.strip():
            raise ApiFail(400, "Invalid parameter: name")
        cfg["name"] = name
    if "enable" in item:
        cfg["enable"] = to_bool(item["enable"], "enable")
    conn = cfg.setdefault("connection", {})
    if "schedule" in item:
        if item["schedule"] is None:
            conn.pop("schedule", None)
        else:
            conn["schedule"] = _as_int(item["schedule"], "schedule")
    update = item.get("connection")
    if update is not None:
        if not isinstance(update, dict):
            raise ApiFail(400, "Invalid parameter: connection")
        if "routingMode" in update:
            if update["routingMode"] not in ("NAT", "IP Forwarding"):
                raise ApiFail(400, "Invalid parameter: routingMode")
            conn["mode"] = update["routingMode"]
        for key in ("icmpPing", "pepvpnNat", "useLanIp", "ignoreDefaultGateway"):
            if key in update:
                conn[key] = to_bool(update[key], key)
        if "hotStandBy" in update:
            conn["hotStandby"] = to_bool(update["hotStandBy"], "hotStandBy")
        for key in ("priority", "groupSet"):
            if key in update:
                value = _as_int(update[key], key)
                if key == "priority" and not 0 <= value <= 4:
                    raise ApiFail(400, "Invalid parameter: priority")
                conn[key] = value
        if "idleTimeout" in update:
            if update["idleTimeout"] is None:
                conn.pop("idleTimeout", None)
            else:
                conn["idleTimeout"] = _as_int(update["idleTimeout"], "idleTimeout")
        if isinstance(update.get("dns"), dict):
            dns = conn.setdefault("dns", {})
            if "auto" in update["dns"]:
                dns["auto"] = to_bool(update["dns"]["auto"], "dns.auto")
            if "host" in update["dns"]:
                dns["host"] = list(update["dns"]["host"] or [])
        method = update.get("method")
        if isinstance(method, dict):
            kind = method.get("type")
            if kind not in _METHODS:
                raise ApiFail(400, "Invalid parameter: method.type")
            conn["method"] = kind
            detail = method.get("detail") or {}
            if kind == "staticIp" and not all(detail.get(k) for k in ("ip", "mask", "gateway")):
                raise ApiFail(400, "Invalid parameter: method.detail")
            for other in _METHODS:
                conn.pop(other, None)
            conn[kind] = dict(detail)
        if isinstance(update.get("bandwidth"), dict):
            bandwidth = conn.setdefault("bandwidth", {})
            for direction in ("upload", "download"):
                given = update["bandwidth"].get(direction)
                if isinstance(given, dict):
                    unit = given.get("unit", "kbps")
                    if unit not in _UNIT_KBPS:
                        raise ApiFail(400, f"Invalid parameter: bandwidth.{direction}.unit")
                    kbps = _as_int(given.get("value"), f"bandwidth.{direction}.value") * _UNIT_KBPS[unit]
                    bandwidth[direction] = {"bandwidth": kbps, "unit": "kbps"}
    if isinstance(item.get("ddns"), dict):
        conn.setdefault("ddns", {}).update(item["ddns"])
    if isinstance(item.get("physical"), dict):
        physical = cfg.setdefault("physical", {})
        for key, value in item["physical"].items():
            if key not in ("speed", "advertise", "mtu", "mss", "ttl", "mac", "vlan"):
                continue
            if value is None:
                physical.pop(key, None)
            elif key == "mtu" and not 576 <= _as_int(value, "mtu") <= 9000:
                raise ApiFail(400, "Invalid parameter: mtu")
            else:
                physical[key] = value
    if isinstance(item.get("healthcheck"), dict):
        update = item["healthcheck"]
        check = cfg.setdefault("healthcheck", {})
        if "enable" in update:
            check["enable"] = to_bool(update["enable"], "healthcheck.enable")
        if isinstance(update.get("method"), dict):
            kind = update["method"].get("type")
            if kind not in ("ping", "nslookup", "http", "smartcheck", "openvpn"):
                raise ApiFail(400, "Invalid parameter: healthcheck.method.type")
            for other in ("ping", "nslookup", "http", "smartcheck", "openvpn"):
                check.pop(other, None)
            check["method"] = kind
            detail = dict(update["method"].get("detail") or {})
            if "includedPublic" in detail:
                detail["includePublic"] = detail.pop("includedPublic")
            check[kind] = detail
        if "timeout" in update:
            # Written in milliseconds, reported in seconds.
            check["timeout"] = max(1, round(_as_int(update["timeout"], "healthcheck.timeout") / 1000))
        for key in ("interval", "retry", "recovery"):
            if key in update:
                check[key] = _as_int(update[key], f"healthcheck.{key}")
    if isinstance(item.get("bandwidthAllowanceMonitor"), dict):
        update = item["bandwidthAllowanceMonitor"]
        monitor = cfg.setdefault("bandwidthAllowanceMonitor", {})
        if "enable" in update:
            monitor["enable"] = to_bool(update["enable"], "bandwidthAllowanceMonitor.enable")
        if "action" in update:
            monitor["action"] = list(update["action"] or [])
        if "start" in update:
            start = _as_int(update["start"], "bandwidthAllowanceMonitor.start")
            if not 0 <= start <= 28:
                raise ApiFail(400, "Invalid parameter: bandwidthAllowanceMonitor.start")
            monitor["start"] = start
        if isinstance(update.get("monthlyAllowance"), dict):
            unit = update["monthlyAllowance"].get("unit", "MB")
            if unit not in _UNIT_MB:
                raise ApiFail(400, "Invalid parameter: monthlyAllowance.unit")
            value = _as_int(update["monthlyAllowance"].get("value"), "monthlyAllowance.value") * _UNIT_MB[unit]
            monitor["monthlyAllowance"] = {"value": value, "unit": "MB"}
    if "multipleIp" in item:
        cfg["multipleIp"] = list(item["multipleIp"] or [])
    if isinstance(item.get("cellular"), dict) and "cellular" in cfg:
        cfg["cellular"].update(item["cellular"])


def _merge_security(profile: dict[str, Any], update: dict[str, Any]) -> None:
    security = profile.setdefault("security", {})
    policy = update.get("policy", security.get("policy", "WPA2 Personal"))
    if policy not in ("WPA2 Personal", "WPA/WPA2 Personal"):
        raise ApiFail(400, "Invalid parameter: security.policy")
    old_key = (security.get("wpa2Personal") or security.get("wpaWpa2Personal") or {}).get("key")
    if policy != security.get("policy"):
        # Switching policy carries the key over to the new policy's object.
        security.pop("wpa2Personal", None)
        security.pop("wpaWpa2Personal", None)
        if policy == "WPA2 Personal":
            security["wpa2Personal"] = {"fastTransition": False, "key": old_key}
        else:
            security["wpaWpa2Personal"] = {"key": old_key}
        security["policy"] = policy
    for obj_name in ("wpa2Personal", "wpaWpa2Personal"):
        given = update.get(obj_name)
        if not isinstance(given, dict):
            continue
        target_name = "wpa2Personal" if policy == "WPA2 Personal" else "wpaWpa2Personal"
        target = security.setdefault(target_name, {})
        if "key" in given:
            key = str(given["key"])
            if not SSID_KEY.match(key):
                raise ApiFail(400, "Invalid parameter: key (8 to 63 characters or 64 HEX)")
            target["key"] = key
        if "fastTransition" in given:
            if target_name != "wpa2Personal":
                raise ApiFail(400, "fastTransition cannot be set in WPA/WPA2 Personal")
            target["fastTransition"] = to_bool(given["fastTransition"], "fastTransition")
