"""Desired device configuration, rendered from the subscriber's services (pure), and drift.

:func:`render` takes a :class:`ProvisioningInput` — plain snapshots of the
CPE, its model, its profiles, the subscriber and the POTS lines, built by
``devices.selectors.provisioning_input`` — and returns the
:class:`~devices.drivers.base.DeviceConfig` the vendor's driver writes and
applies. Nothing here touches the database or the network, so every vendor
and model shape is unit-tested with plain values.

Action kinds render different scopes:

``reprovision``  everything, from scratch: every WAN (unused ones disabled),
                 port binding, VoIP server and every line, LAN/DHCP, both
                 radios and every SSID (unused ones cleared), web management,
                 passwords and the whole port-forwarding table.
``reconfig``     the subscriber's services only: the service WANs and their
                 binding, VoIP, Wi-Fi radios and SSID 1, the given port
                 forwards. LAN, management and passwords are left alone.
``unprovision``  services off: service WANs disabled and unbound, POTS lines
                 disabled, SSIDs switched off (HALNy); SSID disabled
                 (Peplink); lines deregistered (Fanvil).

HALNy triple play (seed ``halny-ont-rest-api-v2-triple-play.txt``): WAN 1
internet (DHCP or PPPoE, tagged with the service VLAN and CoS, NAT per the
profile), WAN 2 IPTV bridge (TV profile VLAN/CoS), WAN 3 VoIP (voice VLAN,
router/DHCP). Port binding follows the model's LAN map: the TV profile's
bridge ports go to WAN 2, every other LAN port and SSID 1 of each radio to
WAN 1 — except the model's 2.5 Gbit/s port (HL-1B LAN1, HL-2BV LAN2,
HL-4BX3V-F LAN4), which always stays with internet, the service that can use
it; and internet never ends up with no port at all.

Portal choices the seed leaves open (documented here, asserted in tests):

- PPPoE login: the CPE's ``pppoe_username``, else its Krill name (cpename).
- The web admin password is the CPE's stored device password
  (``management_password``) when one is set; otherwise passwords are not
  written.
- Port-forwarding rules come from the action's ``params["port_forwarding"]``
  (a list of rule objects in the seed's field names); reprovision clears the
  rest of the table.
- Wi-Fi country: the CPE's (else the subscriber's) country, upper case, as
  the ONT spells it ("POLAND"); default POLAND.
- Peplink: WAN connection 1 carries the service (name, NAT or IP
  forwarding, bandwidth from the profile, DHCP/PPPoE on wired-uplink CPEs);
  SSID profile 1 the subscriber's Wi-Fi. WPA3 is not in the Router API's
  policy list, so it is written as WPA2 Personal.

Drift (:func:`drift`) compares a desired configuration with the running one
read back from the device, field by field. Peplink answers reads in a shape
that differs from the update shape (``routingMode`` → ``mode``, ``method``
object → string plus a per-method object, bandwidth ``value``/``unit`` →
``bandwidth`` in kbit/s): :func:`peplink_comparable` maps both to one flat
shape before comparing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..choices import ActionKind, WanMode, WifiBands, WifiSecurity
from ..drivers.base import ConfigSection, DeviceConfig
from ..drivers.halny import PORT_FORWARDING_RULES, SSIDS_PER_BAND, WAN_COUNT, halny_model, to_halny_value

SECRET_MASK = "••••••"
RENDERED_KINDS = (ActionKind.REPROVISION, ActionKind.RECONFIG, ActionKind.UNPROVISION)

# WAN numbers of the triple play (seed): internet, IPTV bridge, VoIP.
WAN_INTERNET, WAN_IPTV, WAN_VOIP = 1, 2, 3

# ---------------------------------------------------------------------------
# Input snapshots (plain data; devices.selectors builds them from rows)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceInfo:
    internet_vlan: int | None = None
    cos: int = 0
    wan_mode: str = WanMode.PPPOE
    nat: bool = True
    download_kbps: int | None = None
    upload_kbps: int | None = None


@dataclass(frozen=True)
class TvInfo:
    iptv_vlan: int
    cos: int = 4
    bridge_ports: tuple[int, ...] = ()


@dataclass(frozen=True)
class VoipInfo:
    sip_server: str
    sip_port: int = 5060
    vlan: int | None = None
    cos: int = 5


@dataclass(frozen=True)
class WifiInfo:
    ssid_pattern: str = "{cpename}"
    security: str = WifiSecurity.WPA2
    bands: str = WifiBands.DUAL
    channel_24: int = 0
    channel_5: int = 0
    width_24: int = 20
    width_5: int = 80


@dataclass(frozen=True)
class AddressInfo:
    lan_cidr: str = "192.168.1.1/24"
    dhcp_start: str = "192.168.1.100"
    dhcp_end: str = "192.168.1.199"
    dns_servers: tuple[str, ...] = ()


@dataclass(frozen=True)
class PotsInfo:
    order: int
    username: str = ""
    password: str = ""
    cli: str = ""
    label: str = ""


@dataclass(frozen=True)
class ProvisioningInput:
    """Everything rendering needs, as plain values."""

    family: str
    model: str
    tech: str = ""
    pots_ports: int = 0
    cpename: str = ""
    sn: str = ""
    mac: str = ""
    bridge: bool = False
    external_voip: bool = False
    lan_cidr: str = ""
    pppoe_username: str = ""
    pppoe_password: str = ""
    wifi_ssid: str = ""
    wifi_password: str = ""
    management_password: str = ""
    country: str = ""
    subscriber_surname: str = ""
    service: ServiceInfo | None = None
    tv: TvInfo | None = None
    voip: VoipInfo | None = None
    wifi: WifiInfo | None = None
    address: AddressInfo | None = None
    pots: tuple[PotsInfo, ...] = ()
    port_forwarding: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)


class ProvisioningError(ValueError):
    """The record lacks what the configuration needs (a clear, final reason)."""


# ---------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------


def problems(inp: ProvisioningInput, kind: str) -> list[str]:
    """Reasons the configuration for ``kind`` cannot be rendered (empty: it can)."""
    if kind == ActionKind.UNPROVISION:
        return []
    found: list[str] = []
    if inp.family in ("halny", "peplink"):
        if inp.service is None:
            found.append("the CPE has no service profile")
        elif inp.service.wan_mode == WanMode.PPPOE and _wired_wan(inp) and not inp.pppoe_password:
            found.append("the service profile uses PPPoE but the CPE has no PPPoE password")
        wifi_secured = _wifi_enabled(inp) and inp.wifi is not None and inp.wifi.security != WifiSecurity.OPEN
        if wifi_secured and not 8 <= len(inp.wifi_password) <= 63:
            found.append("the CPE's Wi-Fi password must be 8 to 63 characters")
    if inp.family == "fanvil":
        if inp.voip is None:
            found.append("the CPE has no VoIP profile")
        if not inp.pots:
            found.append("the CPE has no POTS lines to register")
    return found


def render(inp: ProvisioningInput, kind: str = ActionKind.REPROVISION) -> DeviceConfig:
    """The desired configuration for ``kind`` (reprovision, reconfig or unprovision)."""
    if kind not in RENDERED_KINDS:
        raise ValueError(f"{kind} does not render a configuration")
    reasons = problems(inp, kind)
    if reasons:
        raise ProvisioningError("; ".join(reasons))
    renderer = {"halny": _render_halny, "peplink": _render_peplink, "fanvil": _render_fanvil}.get(inp.family)
    if renderer is None:
        raise ProvisioningError(f"no provisioning for vendor family {inp.family!r}")
    return DeviceConfig(sections=renderer(inp, kind))


# ---------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------


def _wired_wan(inp: ProvisioningInput) -> bool:
    # ONTs always carry the WAN on the fibre; Peplink only on wired-uplink CPEs.
    return inp.family == "halny" or inp.tech == "ethernet"


def _wifi_enabled(inp: ProvisioningInput) -> bool:
    if inp.family == "halny":
        model = halny_model(inp.model)
        if not (model.wifi24 or model.wifi5):
            return False
    return inp.wifi is not None or bool(inp.wifi_ssid)


def pppoe_login(inp: ProvisioningInput) -> str:
    """The CPE's PPPoE username; Krill CRMs commonly leave it empty and use the CPE name."""
    return inp.pppoe_username or inp.cpename or inp.sn


def ssid_name(inp: ProvisioningInput) -> str:
    """The subscriber's SSID: the CPE's own, else the Wi-Fi profile's pattern (max 32 characters)."""
    if inp.wifi_ssid:
        return inp.wifi_ssid[:32]
    pattern = inp.wifi.ssid_pattern if inp.wifi else "{cpename}"
    mac4 = "".join(c for c in inp.mac if c.isalnum())[-4:].upper()
    try:
        name = pattern.format(cpename=inp.cpename, sn=inp.sn, mac4=mac4, surname=inp.subscriber_surname)
    except (KeyError, IndexError, ValueError):
        name = inp.cpename  # a broken pattern must not block provisioning
    return (name or inp.cpename or inp.sn)[:32]


def _country(inp: ProvisioningInput) -> str:
    return (inp.country or "POLAND").strip().upper()[:32] or "POLAND"


def lan_addressing(inp: ProvisioningInput) -> tuple[str, str, str, str, tuple[str, ...]]:
    """(gateway ip, netmask, DHCP start, DHCP end, DNS) from the CPE's subnet or the address profile."""
    if inp.lan_cidr:
        iface = ipaddress.IPv4Interface(inp.lan_cidr)
        hosts = list(iface.network.hosts())
        start = hosts[min(99, len(hosts) - 1)] if len(hosts) > 100 else hosts[len(hosts) // 2]
        end = hosts[min(198, len(hosts) - 1)]
        dns = inp.address.dns_servers if inp.address else ()
        return str(iface.ip), str(iface.network.netmask), str(start), str(end), dns
    address = inp.address or AddressInfo()
    iface = ipaddress.IPv4Interface(address.lan_cidr)
    return str(iface.ip), str(iface.network.netmask), address.dhcp_start, address.dhcp_end, address.dns_servers


# ---------------------------------------------------------------------------
# HALNy
# ---------------------------------------------------------------------------

HALNY_SECURITY = {
    WifiSecurity.WPA2: "WPA2 Personal",
    WifiSecurity.WPA2_WPA3: "WPA2/WPA3 Personal",
    WifiSecurity.WPA3: "WPA3 Personal",
    WifiSecurity.OPEN: "Open",
}
HALNY_RADIO_MODE = {"wlan24": "802.11b/g/n/ax", "wlan5": "802.11a/n/ac/ax"}
EMPTY_FORWARDING_RULE = {
    "active": "no",
    "protocol": "tcp",
    "wan_start_port": "",
    "wan_end_port": "",
    "local_ip": "",
    "lan_start_port": "",
    "name": "",
    "nat_loopback_enabled": "no",
}
FORWARDING_FIELDS = tuple(EMPTY_FORWARDING_RULE)


def halny_port_map(model_name: str, bridge_ports: Sequence[int] = ()) -> dict[str, list[str]]:
    """LAN ports per service WAN: ``{"internet": [...], "iptv": [...]}`` (port names ``lanN``).

    IPTV gets the TV profile's bridge ports that exist on the model, except
    the 2.5 Gbit/s port (kept for internet); internet gets the rest. When
    that would leave internet with no port on a model without Wi-Fi,
    internet wins and IPTV gets none.
    """
    model = halny_model(model_name)
    names = model.lan_names
    iptv = [f"lan{n}" for n in sorted(set(bridge_ports)) if 1 <= n <= model.lan_ports]
    iptv = [name for name in iptv if name != model.lan_2g5]
    internet = [name for name in names if name not in iptv]
    if not internet and not (model.wifi24 or model.wifi5):
        internet, iptv = names, []
    return {"internet": internet, "iptv": iptv}


def _bind_fields(model_name: str) -> list[str]:
    model = halny_model(model_name)
    keys = list(model.lan_names)
    for band, present in (("wifi24", model.wifi24), ("wifi5", model.wifi5)):
        if present:
            keys += [f"{band}_ssid{n}" for n in range(1, SSIDS_PER_BAND + 1)]
    return keys


def _halny_wan(
    *, conn_type: str, mode: str, service_type: str, vlan: int | None, cos: int, extra: Mapping[str, Any] = ()
) -> dict[str, str]:
    values = {
        "enabled": "yes",
        "conn_type": conn_type,
        "mode": mode,
        "service_type": service_type,
        "ip_version": "ipv4",
        "dot1q": "tag" if vlan else "untag",
        "vlan_id": str(vlan or 0),
        "cos": str(cos),
    }
    values.update(dict(extra))
    return values


def _render_halny(inp: ProvisioningInput, kind: str) -> list[ConfigSection]:
    model = halny_model(inp.model)
    full = kind == ActionKind.REPROVISION
    off = kind == ActionKind.UNPROVISION
    sections: list[ConfigSection] = []

    def add(path: str, values: Mapping[str, Any]) -> None:
        sections.append(ConfigSection(path, {k: to_halny_value(v) for k, v in values.items()}))

    # -- WANs ------------------------------------------------------------------
    service = inp.service or ServiceInfo()
    tv = inp.tv
    voip_wan = inp.voip is not None and model.pots_lines > 0 and not inp.external_voip
    wans: dict[int, dict[str, str] | None] = {}
    if not off:
        if inp.bridge:
            wans[WAN_INTERNET] = _halny_wan(
                conn_type="bridge", mode="bridge", service_type="internet", vlan=service.internet_vlan, cos=service.cos
            )
        else:
            pppoe = service.wan_mode == WanMode.PPPOE
            wans[WAN_INTERNET] = _halny_wan(
                conn_type="pppoe" if pppoe else ("static" if service.wan_mode == WanMode.STATIC else "dhcp"),
                mode="router",
                service_type="internet",
                vlan=service.internet_vlan,
                cos=service.cos,
                extra={
                    "nat_enable": "yes" if service.nat else "no",
                    "ppp_login": pppoe_login(inp) if pppoe else "",
                    "ppp_password": inp.pppoe_password if pppoe else "",
                },
            )
        if tv is not None:
            wans[WAN_IPTV] = _halny_wan(
                conn_type="bridge", mode="bridge", service_type="other", vlan=tv.iptv_vlan, cos=tv.cos
            )
        if voip_wan:
            assert inp.voip is not None
            wans[WAN_VOIP] = _halny_wan(
                conn_type="dhcp", mode="router", service_type="voip", vlan=inp.voip.vlan, cos=inp.voip.cos
            )
    # WANs the services do not use: disabled (reprovision: all of them;
    # reconfig/unprovision: the triple-play ones a service no longer has).
    scope = range(1, WAN_COUNT + 1) if full else (WAN_INTERNET, WAN_IPTV, WAN_VOIP)
    for n in scope:
        wans.setdefault(n, None)

    ports = halny_port_map(inp.model, tv.bridge_ports if tv else ())
    bind_keys = _bind_fields(inp.model)
    wifi_on = _wifi_enabled(inp) and not off
    for n in sorted(wans):
        values = wans[n]
        add(f"wan/{n}", values if values is not None else {"enabled": "no"})
        bound: set[str] = set()
        if values is not None and n == WAN_INTERNET:
            bound = set(ports["internet"])
            if wifi_on:
                bound |= {"wifi24_ssid1", "wifi5_ssid1"}
        elif values is not None and n == WAN_IPTV:
            bound = set(ports["iptv"])
        add(f"wan/{n}/port_bind", {key: key in bound for key in bind_keys})

    # -- VoIP --------------------------------------------------------------------
    if model.pots_lines and (inp.voip is not None or off or full):
        if inp.voip is not None and not off:
            add("voip", {"register_server": inp.voip.sip_server, "register_port": inp.voip.sip_port})
        by_order = {line.order: line for line in inp.pots}
        for n in range(1, model.pots_lines + 1):
            line = by_order.get(n)
            if line is None or off or inp.voip is None:
                add(f"voip/line/{n}", {"enable": "no", "login": "", "password": "", "display_name": ""})
            else:
                add(
                    f"voip/line/{n}",
                    {
                        "enable": "yes",
                        "login": line.username or line.cli,
                        "password": line.password,
                        "display_name": (line.label or line.cli or line.username)[:64],
                    },
                )

    # -- LAN -----------------------------------------------------------------------
    if full:
        ip, mask, start, end, dns = lan_addressing(inp)
        add(
            "lan",
            {
                "dhcp_enable": not inp.bridge,
                "ip": ip,
                "netmask": mask,
                "dhcp_lease_time": 86400,
                "dhcp_start_ip": start,
                "dhcp_end_ip": end,
                "dns_proxy_type": "manual" if dns else "auto",
                "dns_primary": dns[0] if dns else "",
            },
        )

    # -- Wi-Fi ---------------------------------------------------------------------
    wifi = inp.wifi or WifiInfo()
    for band, present in (("wlan24", model.wifi24), ("wlan5", model.wifi5)):
        if not present:
            continue
        band_wanted = wifi.bands in (WifiBands.DUAL, "2.4" if band == "wlan24" else "5")
        enabled = wifi_on and band_wanted
        if off:
            add(f"{band}/ssid/1", {"ssid_name": "", "password": ""})
            continue
        channel = wifi.channel_24 if band == "wlan24" else wifi.channel_5
        width = wifi.width_24 if band == "wlan24" else wifi.width_5
        radio: dict[str, Any] = {
            "enable": enabled,
            "mode": HALNY_RADIO_MODE[band],
            "country": _country(inp),
            "channel": channel,
            "channel_selection": "manual" if channel else "auto",
            "channel_width": _halny_width(band, width),
        }
        if band == "wlan5":
            radio["dfs_enable"] = "yes"
        add(band, radio)
        add(
            f"{band}/ssid/1",
            {
                "prefix": "",
                "ssid_name": ssid_name(inp) if enabled else "",
                "security": HALNY_SECURITY.get(wifi.security, "WPA2 Personal"),
                "encryption": "AES",
                "password": inp.wifi_password if enabled and wifi.security != WifiSecurity.OPEN else "",
            },
        )
        if full:
            for n in range(2, SSIDS_PER_BAND + 1):
                add(f"{band}/ssid/{n}", {"prefix": "", "ssid_name": "", "password": ""})

    # -- management and passwords ------------------------------------------------------
    if full:
        add(
            "management/web",
            {"wan_mgmt_enable": "no", "lan_web_access_enable": "yes", "https_access_enable": "yes"},
        )
        if inp.management_password:
            add("management/passwords", {"admin_password": inp.management_password})

    # -- port forwarding ---------------------------------------------------------------
    rules = [] if off else [_forwarding_rule(rule, i) for i, rule in enumerate(inp.port_forwarding)]
    if len(rules) > PORT_FORWARDING_RULES:
        raise ProvisioningError(f"at most {PORT_FORWARDING_RULES} port-forwarding rules fit the ONT's table")
    for n, rule in enumerate(rules):
        add(f"nat_config/port_forwarding_rule/{n}", rule)
    if full:
        for n in range(len(rules), PORT_FORWARDING_RULES):
            add(f"nat_config/port_forwarding_rule/{n}", EMPTY_FORWARDING_RULE)
    return sections


def _halny_width(band: str, mhz: int) -> str:
    allowed = (20, 40) if band == "wlan24" else (20, 40, 80, 160)
    return f"{mhz if mhz in allowed else allowed[-1] if mhz > allowed[-1] else allowed[0]}MHz"


def _forwarding_rule(rule: Mapping[str, Any], index: int) -> dict[str, str]:
    if not isinstance(rule, Mapping):
        raise ProvisioningError(f"port_forwarding[{index}] must be an object")
    unknown = sorted(set(rule) - set(FORWARDING_FIELDS))
    if unknown:
        raise ProvisioningError(f"port_forwarding[{index}]: unknown field(s) {', '.join(unknown)}")
    values = {**EMPTY_FORWARDING_RULE, "active": "yes", "name": f"rule{index}"}
    values.update({k: to_halny_value(v) for k, v in rule.items()})
    return values


# ---------------------------------------------------------------------------
# Peplink
# ---------------------------------------------------------------------------

PEPLINK_POLICY = {
    WifiSecurity.WPA2: "WPA2 Personal",
    WifiSecurity.WPA2_WPA3: "WPA2 Personal",
    WifiSecurity.WPA3: "WPA2 Personal",
}


def _render_peplink(inp: ProvisioningInput, kind: str) -> list[ConfigSection]:
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
    if _wired_wan(inp):
        if service.wan_mode == WanMode.PPPOE:
            connection["method"] = {
                "type": "pppoe",
                "detail": {"username": pppoe_login(inp), "password": inp.pppoe_password},
            }
        else:
            connection["method"] = {"type": "dhcp", "detail": {}}
    sections = [ConfigSection("config.wan.connection/1", {"enable": True, "connection": connection})]
    if _wifi_enabled(inp):
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


def peplink_comparable(path: str, values: Mapping[str, Any], *, shape: str) -> dict[str, Any]:
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


# ---------------------------------------------------------------------------
# Fanvil
# ---------------------------------------------------------------------------


def _render_fanvil(inp: ProvisioningInput, kind: str) -> list[ConfigSection]:
    full = kind == ActionKind.REPROVISION
    off = kind == ActionKind.UNPROVISION
    by_order = {line.order: line for line in inp.pots}
    numbers = sorted(by_order)
    if full or off:
        numbers = sorted(set(numbers) | set(range(1, inp.pots_ports + 1)))
    sections = []
    for n in numbers:
        line = by_order.get(n)
        if line is None or off or inp.voip is None:
            sections.append(ConfigSection(f"sip/{n}", {"EnableReg": "0"}))
            continue
        account = line.username or line.cli
        sections.append(
            ConfigSection(
                f"sip/{n}",
                {
                    "EnableReg": "1",
                    "RegisterAddr": inp.voip.sip_server,
                    "RegisterPort": str(inp.voip.sip_port),
                    "PhoneNumber": account,
                    "RegisterUser": line.username or account,
                    "RegisterPswd": line.password,
                    "DisplayName": (line.label or line.cli or account)[:64],
                },
            )
        )
    return sections


# ---------------------------------------------------------------------------
# Drift
# ---------------------------------------------------------------------------

SECRET_FIELDS = frozenset(
    {"ppp_password", "password", "admin_password", "user_password", "RegisterPswd", "key", "pppoe.password"}
)


def _is_secret(name: str) -> bool:
    return name in SECRET_FIELDS or name.rsplit(".", 1)[-1] in SECRET_FIELDS


@dataclass(frozen=True)
class DriftItem:
    section: str
    field: str
    desired: Any
    running: Any

    def as_dict(self) -> dict[str, Any]:
        secret = _is_secret(self.field)
        return {
            "section": self.section,
            "field": self.field,
            "desired": SECRET_MASK if secret and self.desired not in ("", None) else self.desired,
            "running": SECRET_MASK if secret and self.running not in ("", None) else self.running,
        }


def comparable(family: str, path: str, values: Mapping[str, Any], *, shape: str) -> dict[str, Any]:
    if family == "peplink":
        return peplink_comparable(path, values, shape=shape)
    if family == "halny":
        return {k: to_halny_value(v) for k, v in values.items()}
    return {k: "" if v is None else str(v) for k, v in values.items()}


def drift(family: str, desired: DeviceConfig, running: DeviceConfig) -> list[DriftItem]:
    """Fields whose running value differs from the desired one (a missing section: every field)."""
    have = {s.path: s.values for s in running.sections}
    items: list[DriftItem] = []
    for section in desired.sections:
        want = comparable(family, section.path, section.values, shape="update")
        got_raw = have.get(section.path)
        got = comparable(family, section.path, got_raw, shape="running") if got_raw is not None else {}
        for name, value in want.items():
            seen = got.get(name)
            if got_raw is None or not _same(value, seen):
                items.append(DriftItem(section.path, name, value, seen))
    return items


def _same(desired: Any, running: Any) -> bool:
    if desired == running:
        return True
    # Routers answer numbers and booleans where a form sent strings, and back.
    return str(desired).lower() == str(running).lower()


def drift_report(family: str, desired: DeviceConfig, running: DeviceConfig) -> dict[str, Any]:
    """The drift as the action result and the API answer it: counts and the differing fields (secrets masked)."""
    items = drift(family, desired, running)
    fields = sum(len(comparable(family, s.path, s.values, shape="update")) for s in desired.sections)
    return {
        "in_sync": not items,
        "sections": len(desired.sections),
        "fields": fields,
        "differences": [item.as_dict() for item in items],
    }
