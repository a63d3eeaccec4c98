"""Router API ``info.*`` and ``status.*`` objects: firmware, location, WAN, signal, allowance, clients, LAN, PepVPN."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from simulators.cpe.peplink.auth import Auth
from simulators.cpe.peplink.envelope import ApiFail, Params, ok, ordered
from simulators.cpe.peplink.profiles import WIFI_UPLINK


class StatusHandlers:
    """Readings the router reports (mixed into :class:`~.router.PeplinkSimulator`)."""

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
