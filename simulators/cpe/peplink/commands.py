"""Router API ``cmd.*`` objects: access points, SMS, cellular module and carrier control, Wi-Fi scan."""

from __future__ import annotations

import copy
import time
from typing import Any

from aiohttp import web

from simulators.cpe.peplink.auth import Auth
from simulators.cpe.peplink.envelope import ApiFail, Params, ok
from simulators.cpe.peplink.profiles import CARRIERS, SMS_ADDRESS, WIFI_UPLINK


class CommandHandlers:
    """One-off commands (mixed into :class:`~.router.PeplinkSimulator`)."""

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
