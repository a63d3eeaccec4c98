"""HALNy GPON ONT provisioning: the triple-play configuration, one builder per part of the node tree.

Seed ``halny-ont-rest-api-v2-triple-play.txt``: WAN 1 internet (DHCP or
PPPoE, tagged with the service VLAN and CoS, NAT per the profile), WAN 2 IPTV
bridge (TV profile VLAN/CoS), WAN 3 VoIP (voice VLAN, router/DHCP). Port
binding follows the model's LAN map: the TV profile's bridge ports go to
WAN 2, every other LAN port and SSID 1 of each radio to WAN 1 — except the
model's 2.5 Gbit/s port (HL-1B LAN1, HL-2BV LAN2, HL-4BX3V-F LAN4), which
always stays with internet, the service that can use it; and internet never
ends up with no port at all.

A static internet WAN (profile ``wan_mode=static``) carries ``ip``,
``netmask``, ``gateway`` and ``dns_primary``/``dns_secondary``: the seed
shows no static example, so the names are the ones its LAN node and the
WAN status node use (an assumption, like the status nodes' shapes); the
address comes from IPAM (``ProvisioningInput.static_wan``), the DNS servers
from the address profile.

:func:`render` puts the builders' sections together in the order the ONT
applies them: WANs with their port binding, VoIP, LAN, Wi-Fi, management,
port forwarding. Each builder takes the input and the action kind and is
unit-tested on its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..choices import ActionKind, WanMode, WifiBands, WifiSecurity
from ..drivers.base import ConfigSection
from ..drivers.halny import PORT_FORWARDING_RULES, SSIDS_PER_BAND, WAN_COUNT, halny_model, to_halny_value
from . import (
    ProvisioningError,
    ProvisioningInput,
    ServiceInfo,
    WifiInfo,
    lan_addressing,
    pppoe_login,
    router_problems,
    ssid_name,
    wifi_wanted,
)

# WAN numbers of the triple play (seed): internet, IPTV bridge, VoIP.
WAN_INTERNET, WAN_IPTV, WAN_VOIP = 1, 2, 3

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

# A WAN number → its node values, or None: disabled.
Wans = dict[int, dict[str, str] | None]


def _section(path: str, values: Mapping[str, Any]) -> ConfigSection:
    # The ONT takes strings only (booleans as yes/no).
    return ConfigSection(path, {k: to_halny_value(v) for k, v in values.items()})


def wifi_enabled(inp: ProvisioningInput) -> bool:
    """Wi-Fi is wanted and the model has a radio for it."""
    model = halny_model(inp.model)
    return (model.wifi24 or model.wifi5) and wifi_wanted(inp)


def problems(inp: ProvisioningInput) -> list[str]:
    # ONTs always carry the WAN on the fibre.
    return router_problems(inp, wired_wan=True, wifi_on=wifi_enabled(inp))


def render(inp: ProvisioningInput, kind: str) -> list[ConfigSection]:
    wans = build_wans(inp, kind)
    binding = build_port_binding(inp, kind, wans)
    sections: list[ConfigSection] = []
    for n in sorted(wans):
        values = wans[n]
        sections.append(_section(f"wan/{n}", values if values is not None else {"enabled": "no"}))
        sections.append(_section(f"wan/{n}/port_bind", binding[n]))
    return [
        *sections,
        *build_voip(inp, kind),
        *build_lan(inp, kind),
        *build_wifi(inp, kind),
        *build_management(inp, kind),
        *build_forwarding(inp, kind),
    ]


def comparable(path: str, values: Mapping[str, Any], *, shape: str) -> dict[str, Any]:
    """Desired and running values alike, spelled as the ONT spells them."""
    return {k: to_halny_value(v) for k, v in values.items()}


# ---------------------------------------------------------------------------
# WANs and port binding
# ---------------------------------------------------------------------------


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


def build_wans(inp: ProvisioningInput, kind: str) -> Wans:
    """The WANs ``kind`` writes: the services' ones, and the unused ones it disables."""
    model = halny_model(inp.model)
    service = inp.service or ServiceInfo()
    wans: Wans = {}
    if kind != ActionKind.UNPROVISION:
        if inp.bridge:
            wans[WAN_INTERNET] = _halny_wan(
                conn_type="bridge", mode="bridge", service_type="internet", vlan=service.internet_vlan, cos=service.cos
            )
        else:
            pppoe = service.wan_mode == WanMode.PPPOE
            static = static_wan_values(inp) if service.wan_mode == WanMode.STATIC else {}
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
                    **static,
                },
            )
        if inp.tv is not None:
            wans[WAN_IPTV] = _halny_wan(
                conn_type="bridge", mode="bridge", service_type="other", vlan=inp.tv.iptv_vlan, cos=inp.tv.cos
            )
        if inp.voip is not None and model.pots_lines > 0 and not inp.external_voip:
            wans[WAN_VOIP] = _halny_wan(
                conn_type="dhcp", mode="router", service_type="voip", vlan=inp.voip.vlan, cos=inp.voip.cos
            )
    # WANs the services do not use: disabled (reprovision: all of them;
    # reconfig/unprovision: the triple-play ones a service no longer has).
    scope = range(1, WAN_COUNT + 1) if kind == ActionKind.REPROVISION else (WAN_INTERNET, WAN_IPTV, WAN_VOIP)
    for n in scope:
        wans.setdefault(n, None)
    return wans


def static_wan_values(inp: ProvisioningInput) -> dict[str, str]:
    """The static WAN's address fields (problems() has refused a static WAN without an address)."""
    wan = inp.static_wan
    if wan is None:
        raise ProvisioningError("the static WAN has no address")
    dns = inp.address.dns_servers if inp.address else ()
    return {
        "ip": wan.address,
        "netmask": wan.netmask,
        "gateway": wan.gateway,
        "dns_primary": dns[0] if dns else "",
        "dns_secondary": dns[1] if len(dns) > 1 else "",
    }


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


def build_port_binding(inp: ProvisioningInput, kind: str, wans: Wans) -> dict[int, dict[str, bool]]:
    """Each WAN's ``port_bind`` node: which LAN ports and SSIDs it carries."""
    ports = halny_port_map(inp.model, inp.tv.bridge_ports if inp.tv else ())
    bind_keys = _bind_fields(inp.model)
    wifi_on = wifi_enabled(inp) and kind != ActionKind.UNPROVISION
    binding: dict[int, dict[str, bool]] = {}
    for n, values in wans.items():
        bound: set[str] = set()
        if values is not None and n == WAN_INTERNET:
            bound = set(ports["internet"])
            if wifi_on:
                bound |= {"wifi24_ssid1", "wifi5_ssid1"}
        elif values is not None and n == WAN_IPTV:
            bound = set(ports["iptv"])
        binding[n] = {key: key in bound for key in bind_keys}
    return binding


# ---------------------------------------------------------------------------
# VoIP, LAN, Wi-Fi, management, port forwarding
# ---------------------------------------------------------------------------


def build_voip(inp: ProvisioningInput, kind: str) -> list[ConfigSection]:
    """The SIP server and every POTS line of the model (lines without a subscriber line disabled)."""
    model = halny_model(inp.model)
    full, off = kind == ActionKind.REPROVISION, kind == ActionKind.UNPROVISION
    if not model.pots_lines or not (inp.voip is not None or off or full):
        return []
    sections: list[ConfigSection] = []
    if inp.voip is not None and not off:
        sections.append(_section("voip", {"register_server": inp.voip.sip_server, "register_port": inp.voip.sip_port}))
    by_order = {line.order: line for line in inp.pots}
    for n in range(1, model.pots_lines + 1):
        line = by_order.get(n)
        if line is None or off or inp.voip is None:
            sections.append(
                _section(f"voip/line/{n}", {"enable": "no", "login": "", "password": "", "display_name": ""})
            )
        else:
            values = {
                "enable": "yes",
                "login": line.username or line.cli,
                "password": line.password,
                "display_name": (line.label or line.cli or line.username)[:64],
            }
            sections.append(_section(f"voip/line/{n}", values))
    return sections


def build_lan(inp: ProvisioningInput, kind: str) -> list[ConfigSection]:
    """Gateway address and DHCP (reprovision only; a bridge ONT serves no DHCP)."""
    if kind != ActionKind.REPROVISION:
        return []
    ip, mask, start, end, dns = lan_addressing(inp)
    values = {
        "dhcp_enable": not inp.bridge,
        "ip": ip,
        "netmask": mask,
        "dhcp_lease_time": 86400,
        "dhcp_start_ip": start,
        "dhcp_end_ip": end,
        "dns_proxy_type": "manual" if dns else "auto",
        "dns_primary": dns[0] if dns else "",
    }
    return [_section("lan", values)]


def wifi_country(inp: ProvisioningInput) -> str:
    """The CPE's (else the subscriber's) country, upper case as the ONT spells it; default POLAND."""
    return (inp.country or "POLAND").strip().upper()[:32] or "POLAND"


def _halny_width(band: str, mhz: int) -> str:
    allowed = (20, 40) if band == "wlan24" else (20, 40, 80, 160)
    return f"{mhz if mhz in allowed else allowed[-1] if mhz > allowed[-1] else allowed[0]}MHz"


def build_wifi(inp: ProvisioningInput, kind: str) -> list[ConfigSection]:
    """Each radio the model has and its SSID 1 (reprovision also clears the other SSIDs)."""
    model = halny_model(inp.model)
    full, off = kind == ActionKind.REPROVISION, kind == ActionKind.UNPROVISION
    wifi_on = wifi_enabled(inp) and not off
    wifi = inp.wifi or WifiInfo()
    sections: list[ConfigSection] = []
    for band, present in (("wlan24", model.wifi24), ("wlan5", model.wifi5)):
        if not present:
            continue
        band_wanted = wifi.bands in (WifiBands.DUAL, "2.4" if band == "wlan24" else "5")
        enabled = wifi_on and band_wanted
        if off:
            sections.append(_section(f"{band}/ssid/1", {"ssid_name": "", "password": ""}))
            continue
        channel = wifi.channel_24 if band == "wlan24" else wifi.channel_5
        width = wifi.width_24 if band == "wlan24" else wifi.width_5
        radio: dict[str, Any] = {
            "enable": enabled,
            "mode": HALNY_RADIO_MODE[band],
            "country": wifi_country(inp),
            "channel": channel,
            "channel_selection": "manual" if channel else "auto",
            "channel_width": _halny_width(band, width),
        }
        if band == "wlan5":
            radio["dfs_enable"] = "yes"
        sections.append(_section(band, radio))
        ssid = {
            "prefix": "",
            "ssid_name": ssid_name(inp) if enabled else "",
            "security": HALNY_SECURITY.get(wifi.security, "WPA2 Personal"),
            "encryption": "AES",
            "password": inp.wifi_password if enabled and wifi.security != WifiSecurity.OPEN else "",
        }
        sections.append(_section(f"{band}/ssid/1", ssid))
        if full:
            for n in range(2, SSIDS_PER_BAND + 1):
                sections.append(_section(f"{band}/ssid/{n}", {"prefix": "", "ssid_name": "", "password": ""}))
    return sections


def build_management(inp: ProvisioningInput, kind: str) -> list[ConfigSection]:
    """Web management from the LAN only, and the admin password when the CPE has one (reprovision only)."""
    if kind != ActionKind.REPROVISION:
        return []
    sections = [
        _section(
            "management/web", {"wan_mgmt_enable": "no", "lan_web_access_enable": "yes", "https_access_enable": "yes"}
        )
    ]
    if inp.management_password:
        sections.append(_section("management/passwords", {"admin_password": inp.management_password}))
    return sections


def _forwarding_rule(rule: Mapping[str, Any], index: int) -> dict[str, str]:
    if not isinstance(rule, Mapping):
        raise ProvisioningError(f"port_forwarding[{index}] must be an object")
    unknown = sorted(set(rule) - set(FORWARDING_FIELDS))
    if unknown:
        raise ProvisioningError(f"port_forwarding[{index}]: unknown field(s) {', '.join(unknown)}")
    values = {**EMPTY_FORWARDING_RULE, "active": "yes", "name": f"rule{index}"}
    values.update({k: to_halny_value(v) for k, v in rule.items()})
    return values


def build_forwarding(inp: ProvisioningInput, kind: str) -> list[ConfigSection]:
    """The action's port-forwarding rules from rule 0 (reprovision clears the rest of the table)."""
    off = kind == ActionKind.UNPROVISION
    rules = [] if off else [_forwarding_rule(rule, i) for i, rule in enumerate(inp.port_forwarding)]
    if len(rules) > PORT_FORWARDING_RULES:
        raise ProvisioningError(f"at most {PORT_FORWARDING_RULES} port-forwarding rules fit the ONT's table")
    sections = [_section(f"nat_config/port_forwarding_rule/{n}", rule) for n, rule in enumerate(rules)]
    if kind == ActionKind.REPROVISION:
        for n in range(len(rules), PORT_FORWARDING_RULES):
            sections.append(_section(f"nat_config/port_forwarding_rule/{n}", EMPTY_FORWARDING_RULE))
    return sections
