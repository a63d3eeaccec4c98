"""The simulated router itself: state, readings, and the ``/api/<object>`` dispatcher.

Each object's handlers live with their kind (:mod:`.auth`, :mod:`.status`,
:mod:`.config`, :mod:`.commands`) as mixins of :class:`PeplinkSimulator`,
which owns the per-device state they share.
"""

from __future__ import annotations

import copy
import time
from collections import Counter
from typing import Any, ClassVar

from aiohttp import web

from simulators.base import SimDevice, Simulator
from simulators.cpe.peplink.auth import AccessToken, Auth, AuthHandlers, Handler, Session
from simulators.cpe.peplink.commands import CommandHandlers
from simulators.cpe.peplink.config import ConfigHandlers
from simulators.cpe.peplink.envelope import ApiFail, Params, fail
from simulators.cpe.peplink.profiles import CARRIERS, CLIENT_NAMES, LTE_BANDS, MODELS, NR_BANDS, ModelProfile, clamp
from simulators.cpe.peplink.status import StatusHandlers

# ---------------------------------------------------------------------------
# The simulator
# ---------------------------------------------------------------------------


class PeplinkSimulator(AuthHandlers, StatusHandlers, ConfigHandlers, CommandHandlers, Simulator):
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
            cell[key] = clamp(cell[key] + rng.uniform(-step, step), *self.cell_limits[key])
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
                client["strength"] = int(clamp(client["strength"] + rng.randrange(-5, 6), -90, -35))
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
