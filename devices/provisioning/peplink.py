"""Peplink router provisioning: WAN connection 1 and SSID profile 1, and the drift shape of the Router API.

WAN connection 1 carries the service (name, NAT or IP forwarding, bandwidth
from the profile, DHCP/PPPoE on wired-uplink CPEs); SSID profile 1 the
subscriber's Wi-Fi. WPA3 is not in the Router API's policy list, so it is
written as WPA2 Personal. Unprovision switches the SSID off.

The router answers reads in a shape that differs from the update shape
(``routingMode`` → ``mode``, ``method`` object → string plus a per-method
object, bandwidth ``value``/``unit`` → ``bandwidth`` in kbit/s).
A static WAN is the seed's ``staticIp`` method (``ip``, ``mask`` as a prefix
length, ``gateway``) with the address from IPAM:
:func:`comparable` maps both to one flat shape for drift.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..choices import ActionKind, Tech, WanMode, WifiSecurity
from ..drivers.base import ConfigSection
from . import (
    ProvisioningError,
    ProvisioningInput,
    ServiceInfo,
    WifiInfo,
    pppoe_login,
    router_problems,
    ssid_name,
    wifi_wanted,
)

PEPLINK_POLICY = {
    WifiSecurity.WPA2: "WPA2 Personal",
    WifiSecurity.WPA2_WPA3: "WPA2 Personal",
    WifiSecurity.WPA3: "WPA2 Personal",
}


def wired_wan(inp: ProvisioningInput) -> bool:
    """Only wired-uplink routers dial the service's PPPoE/DHCP; cellular ones get it from the network."""
    return inp.tech == Tech.ETHERNET


def problems(inp: ProvisioningInput) -> list[str]:
    return router_problems(inp, wired_wan=wired_wan(inp), wifi_on=wifi_wanted(inp))


def render(inp: ProvisioningInput, kind: str) -> list[ConfigSection]:
    if kind == ActionKind.UNPROVISION:
        return [ConfigSection("config.ssid.profile/1", {"enable": False})]
    service = inp.service or ServiceInfo()
    connection: dict[str, Any] = {"routingMode": "NAT" if service.nat else "IP Forwarding"}
    bandwidth = {}
    if service.download_kbps:
        bandwidth["download"] = {"value": service.download_kbps, "unit": "kbps"}
    if service.upload_kbps:
        bandwidth["upload"] = {"value": service.upload_kbps, "unit": "kbps"}
    if bandwidth:
        connection["bandwidth"] = bandwidth
    if wired_wan(inp):
        if service.wan_mode == WanMode.PPPOE:
            connection["method"] = {
                "type": "pppoe",
                "detail": {"username": pppoe_login(inp), "password": inp.pppoe_password},
            }
        elif service.wan_mode == WanMode.STATIC and inp.static_wan is not None:
            wan = inp.static_wan
            connection["method"] = {
                "type": "staticIp",
                "detail": {"ip": wan.address, "mask": wan.prefix_length, "gateway": wan.gateway},
            }
        else:
            connection["method"] = {"type": "dhcp", "detail": {}}
    sections = [ConfigSection("config.wan.connection/1", {"enable": True, "connection": connection})]
    if wifi_wanted(inp):
        security = (inp.wifi or WifiInfo()).security
        if security == WifiSecurity.OPEN:
            raise ProvisioningError("Peplink's Router API cannot set an open SSID")
        sections.append(
            ConfigSection(
                "config.ssid.profile/1",
                {
                    "name": ssid_name(inp),
                    "enable": True,
                    "broadcast": True,
                    "security": {"policy": PEPLINK_POLICY[security], "wpa2Personal": {"key": inp.wifi_password}},
                },
            )
        )
    return sections


def _flatten(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


def comparable(path: str, values: Mapping[str, Any], *, shape: str) -> dict[str, Any]:
    """One Peplink section as flat ``a.b.c`` fields, from the update shape or the read-back shape.

    ``shape="update"`` (what :func:`render` writes) is mapped to the names
    and units the router reports on ``GET`` (``shape="running"``).
    """
    values = dict(values)
    if path.startswith("config.wan.connection/") and shape == "update":
        connection = dict(values.get("connection") or {})
        mapped: dict[str, Any] = {}
        if "routingMode" in connection:
            mapped["mode"] = connection.pop("routingMode")
        method = connection.pop("method", None)
        if isinstance(method, Mapping):
            mapped["method"] = method.get("type")
            if method.get("detail"):
                mapped[str(method.get("type"))] = dict(method["detail"])
        bandwidth = connection.pop("bandwidth", None)
        if isinstance(bandwidth, Mapping):
            mapped["bandwidth"] = {
                direction: {"bandwidth": _kbps(given)}
                for direction, given in bandwidth.items()
                if isinstance(given, Mapping)
            }
        mapped.update(connection)
        values["connection"] = mapped
    if path.startswith("config.wan.connection/") and shape == "running":
        # Only the bandwidth figure is compared; the unit is always kbps on read.
        bandwidth = (values.get("connection") or {}).get("bandwidth")
        if isinstance(bandwidth, Mapping):
            values = {
                **values,
                "connection": {
                    **values["connection"],
                    "bandwidth": {
                        d: {"bandwidth": b.get("bandwidth")} for d, b in bandwidth.items() if isinstance(b, Mapping)
                    },
                },
            }
    return _flatten(values)


def _kbps(given: Mapping[str, Any]) -> int | None:
    factor = {"kbps": 1, "Mbps": 1000, "Gbps": 1_000_000}.get(str(given.get("unit", "kbps")), 1)
    try:
        return int(given.get("value")) * factor
    except (TypeError, ValueError):
        return None
