"""The HALNy ONT's configuration tree: which nodes a model has, what each field accepts, factory values.

The simulator's own reading of ``shared/seeds/halny-ont-rest-api-v2-triple-play.txt``
(it never borrows the driver's): :func:`node_schema` lists every node of a
model with its validators and apply group, :func:`factory_defaults` is the
running configuration of an ONT fresh from the box or a reset.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Callable
from dataclasses import dataclass, replace

from simulators.base import SimDevice

# The tree sizes the seed documents: eight WANs, four SSIDs per band, and
# 32 port-forwarding rules numbered from 0.
WAN_COUNT = 8
SSIDS_PER_BAND = 4
PORT_FORWARDING_RULES = 32


@dataclass(frozen=True)
class OntHardware:
    """What one ONT model carries, and so which nodes its configuration tree has."""

    name: str
    lan_ports: int = 4
    pots_lines: int = 1
    wifi24: bool = True
    wifi5: bool = True

    @property
    def lan_names(self) -> list[str]:
        return [f"lan{i}" for i in range(1, self.lan_ports + 1)]


# The models of the seed's support matrix. Everything not listed with its own
# shape is the family's common one: four gigabit LANs, one POTS line, dual band.
_OWN_SHAPE = (
    OntHardware("HL-1B", lan_ports=1, pots_lines=0, wifi24=False, wifi5=False),
    OntHardware("HL-2BV", lan_ports=2, wifi24=False, wifi5=False),
    OntHardware("HL-4G2", pots_lines=0),
)
_COMMON_SHAPE = "HL-4BX3V-F HL-4GMV HL-4GMV2 HL-4GMV3 HL-4GMV4 HL-4GQV HL-4GQVS HL-4GQVS2 HL-4GXV HL-4GXV-F HL-4GX3VR"
ONT_MODELS: dict[str, OntHardware] = {hw.name: hw for hw in _OWN_SHAPE} | {
    name: OntHardware(name) for name in _COMMON_SHAPE.split()
}


def ont_hardware(model: str) -> OntHardware:
    """The hardware of ``model`` (case-insensitive).

    A newer revision ("HL-4GMV5", "HL-4GXV-F2") is shaped like the longest
    known name it starts with; an unknown name, or "" before the model is
    known, gets the family's common shape under the name given.
    """
    name = model.strip().upper()
    for known in sorted(ONT_MODELS, key=len, reverse=True):
        if name.startswith(known):
            return replace(ONT_MODELS[known], name=name)
    return OntHardware(name or "HL-UNKNOWN")


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
    if v["conn_type"].lower() == "static":
        for name in ("ip", "netmask", "gateway"):
            if not v.get(name):
                return name, "is required with conn_type static"
        network = ipaddress.IPv4Network(f"{v['ip']}/{v['netmask']}", strict=False)
        if ipaddress.IPv4Address(v["gateway"]) not in network or v["gateway"] == v["ip"]:
            return "gateway", f"must be another address inside {network}"
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
    # Static WAN (conn_type static). Not in the seed: named as its LAN node and the WAN status node name them.
    "ip": ipv4(empty=True),
    "netmask": lambda value: None if value == "" else netmask(value),
    "gateway": ipv4(empty=True),
    "dns_primary": ipv4(empty=True),
    "dns_secondary": ipv4(empty=True),
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


def node_schema(model: OntHardware) -> dict[str, NodeSpec]:
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


# What a deleted (or never written) rule reads back as: inactive, every text field empty.
EMPTY_PORT_FORWARDING_RULE = dict.fromkeys(PORT_FORWARDING_FIELDS, "") | {
    "active": "no",
    "protocol": "tcp",
    "nat_loopback_enabled": "no",
}


def factory_defaults(device: SimDevice, model: OntHardware) -> dict[str, dict[str, str]]:
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
