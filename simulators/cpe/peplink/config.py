"""Router API ``config.*`` objects and ``cmd.config.apply``/``discard``.

WAN and SSID settings are written to a pending copy and become running on
``cmd.config.apply``; the POST shapes are merged into the stored (GET) shape.
"""

from __future__ import annotations

import copy
from typing import Any

from aiohttp import web

from simulators.cpe.peplink.auth import Auth
from simulators.cpe.peplink.envelope import ApiFail, Params, ok, ordered, to_bool, to_int
from simulators.cpe.peplink.profiles import SSID_KEY


class ConfigHandlers:
    """Configuration, pending until ``cmd.config.apply`` (mixed into :class:`~.router.PeplinkSimulator`)."""

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
            wan_id = to_int(item.get("id"), "id")
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
            wan_id = to_int(item.get("connId"), "connId")
            if wan_id not in self.running["wan"]:
                raise ApiFail(400, f"Invalid WAN connection ID: {wan_id}")
            change: dict[str, Any] = {}
            if item.get("priority") is not None:
                change["priority"] = to_int(item["priority"], "priority")
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


# ---------------------------------------------------------------------------
# POST shape -> stored (GET) shape
# ---------------------------------------------------------------------------


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
            conn["schedule"] = to_int(item["schedule"], "schedule")
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
                value = to_int(update[key], key)
                if key == "priority" and not 0 <= value <= 4:
                    raise ApiFail(400, "Invalid parameter: priority")
                conn[key] = value
        if "idleTimeout" in update:
            if update["idleTimeout"] is None:
                conn.pop("idleTimeout", None)
            else:
                conn["idleTimeout"] = to_int(update["idleTimeout"], "idleTimeout")
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
                    kbps = to_int(given.get("value"), f"bandwidth.{direction}.value") * _UNIT_KBPS[unit]
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
            elif key == "mtu" and not 576 <= to_int(value, "mtu") <= 9000:
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
            check["timeout"] = max(1, round(to_int(update["timeout"], "healthcheck.timeout") / 1000))
        for key in ("interval", "retry", "recovery"):
            if key in update:
                check[key] = to_int(update[key], f"healthcheck.{key}")
    if isinstance(item.get("bandwidthAllowanceMonitor"), dict):
        update = item["bandwidthAllowanceMonitor"]
        monitor = cfg.setdefault("bandwidthAllowanceMonitor", {})
        if "enable" in update:
            monitor["enable"] = to_bool(update["enable"], "bandwidthAllowanceMonitor.enable")
        if "action" in update:
            monitor["action"] = list(update["action"] or [])
        if "start" in update:
            start = to_int(update["start"], "bandwidthAllowanceMonitor.start")
            if not 0 <= start <= 28:
                raise ApiFail(400, "Invalid parameter: bandwidthAllowanceMonitor.start")
            monitor["start"] = start
        if isinstance(update.get("monthlyAllowance"), dict):
            unit = update["monthlyAllowance"].get("unit", "MB")
            if unit not in _UNIT_MB:
                raise ApiFail(400, "Invalid parameter: monthlyAllowance.unit")
            value = to_int(update["monthlyAllowance"].get("value"), "monthlyAllowance.value") * _UNIT_MB[unit]
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
