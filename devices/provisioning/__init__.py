"""Desired device configuration, rendered from the subscriber's services (pure), and drift.

:func:`from_cpe` snapshots a CPE row — its model, its profiles, the
subscriber and the POTS lines — into a :class:`ProvisioningInput` of plain
values; :func:`render` turns that into the
:class:`~devices.drivers.base.DeviceConfig` the vendor's driver writes and
applies. Rendering touches neither the database nor the network, so every
vendor and model shape is unit-tested with plain values. The family's
registry row (``devices.vendors``) names its renderer, one module per vendor
here (:mod:`.halny`, :mod:`.peplink`, :mod:`.fanvil`); :mod:`.drift`
compares a rendered configuration with the running one.

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

Portal choices the seeds leave open (documented here, asserted in tests):

- PPPoE login: the CPE's ``pppoe_username``, else its Krill name (cpename).
- The web admin password is the CPE's stored device password
  (``management_password``) when one is set; otherwise passwords are not
  written.
- Port-forwarding rules come from the action's ``params["port_forwarding"]``
  (a list of rule objects in the seed's field names); reprovision clears the
  rest of the table.
- Wi-Fi country: the CPE's (else the subscriber's) country, upper case, as
  the ONT spells it ("POLAND"); default POLAND.
- A static internet WAN (service profile ``wan_mode=static``) takes its
  address, mask and gateway from :func:`devices.extensions.static_wan`
  (IPAM registers it: the CPE's, else its subscriber's public static
  allocation) and its DNS from the address profile; with none allocated
  the action is refused up front.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import extensions
from ..choices import ActionKind, WanMode, WifiBands, WifiSecurity
from ..drivers.base import DeviceConfig
from ..extensions import StaticWan
from ..vendors import VENDORS, vendor
from .drift import DriftItem, comparable, drift, drift_report

if TYPE_CHECKING:
    from ..models import Cpe

__all__ = [
    "AddressInfo",
    "DriftItem",
    "PotsInfo",
    "ProvisioningError",
    "ProvisioningInput",
    "ServiceInfo",
    "StaticWan",
    "TvInfo",
    "VoipInfo",
    "WifiInfo",
    "comparable",
    "drift",
    "drift_report",
    "from_cpe",
    "problems",
    "render",
]

RENDERED_KINDS = (ActionKind.REPROVISION, ActionKind.RECONFIG, ActionKind.UNPROVISION)

# ---------------------------------------------------------------------------
# Input snapshots (plain data; from_cpe builds them from rows)
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
    static_wan: StaticWan | None = None  # the internet WAN's address when the profile says static
    port_forwarding: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)


class ProvisioningError(ValueError):
    """The record lacks what the configuration needs (a clear, final reason)."""


# ---------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------


def problems(inp: ProvisioningInput, kind: str) -> list[str]:
    """Reasons the configuration for ``kind`` cannot be rendered (empty: it can)."""
    row = VENDORS.get(inp.family)
    if kind == ActionKind.UNPROVISION or row is None:
        return []  # an unknown family is render()'s to refuse
    return row.problems(inp)


def render(inp: ProvisioningInput, kind: str = ActionKind.REPROVISION) -> DeviceConfig:
    """The desired configuration for ``kind`` (reprovision, reconfig or unprovision)."""
    if kind not in RENDERED_KINDS:
        raise ValueError(f"{kind} does not render a configuration")
    reasons = problems(inp, kind)
    if reasons:
        raise ProvisioningError("; ".join(reasons))
    try:
        row = vendor(inp.family)
    except LookupError:
        raise ProvisioningError(f"no provisioning for vendor family {inp.family!r}") from None
    return DeviceConfig(sections=row.render(inp, kind))


# ---------------------------------------------------------------------------
# Shared by the vendors' renderers
# ---------------------------------------------------------------------------


def wifi_wanted(inp: ProvisioningInput) -> bool:
    """The subscriber has Wi-Fi: a Wi-Fi profile or an SSID of the CPE's own (the model's radios aside)."""
    return inp.wifi is not None or bool(inp.wifi_ssid)


def router_problems(inp: ProvisioningInput, *, wired_wan: bool, wifi_on: bool) -> list[str]:
    """What a router (ONT or Peplink) needs: a service profile, its PPPoE password, a valid Wi-Fi key."""
    found: list[str] = []
    if inp.service is None:
        found.append("the CPE has no service profile")
    elif inp.service.wan_mode == WanMode.PPPOE and wired_wan and not inp.pppoe_password:
        found.append("the service profile uses PPPoE but the CPE has no PPPoE password")
    elif uses_static_wan(inp, wired_wan=wired_wan):
        if inp.static_wan is None:
            found.append(
                "the service profile uses a static WAN but the CPE has no static address: "
                "allocate one to the CPE or its subscriber from a public static IPAM pool"
            )
        elif not inp.static_wan.gateway:
            found.append(f"the static WAN address ({inp.static_wan.source}) has no gateway: set its subnet's gateway")
    wifi_secured = wifi_on and inp.wifi is not None and inp.wifi.security != WifiSecurity.OPEN
    if wifi_secured and not 8 <= len(inp.wifi_password) <= 63:
        found.append("the CPE's Wi-Fi password must be 8 to 63 characters")
    return found


def uses_static_wan(inp: ProvisioningInput, *, wired_wan: bool = True) -> bool:
    """The internet WAN is routed with a static address (a bridge CPE or a cellular uplink has none)."""
    return wired_wan and not inp.bridge and inp.service is not None and inp.service.wan_mode == WanMode.STATIC


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
# From the database
# ---------------------------------------------------------------------------


def from_cpe(cpe: Cpe, params: Mapping[str, Any] | None = None) -> ProvisioningInput:
    """Snapshot of what :func:`render` needs from a CPE row loaded with ``CPE_RELATED`` (devices.selectors).

    The POTS lines cost one query unless the caller prefetched them (batches).
    ``params`` are the action's (``port_forwarding``).
    """
    params = params or {}
    profile, tv, voip, wifi, address = (
        cpe.profile,
        cpe.tv_profile,
        cpe.voip_profile,
        cpe.wifi_profile,
        cpe.address_profile,
    )
    # Uses a prefetch when the caller made one (batches), else one query.
    lines = sorted(cpe.potses.all(), key=lambda line: (line.order, line.pk))
    subscriber = cpe.customer
    # Asked only of static-WAN profiles: the others pay no query for it.
    static_profile = profile is not None and profile.wan_mode == WanMode.STATIC and not cpe.bridge
    static = extensions.static_wan(cpe) if static_profile else None
    return ProvisioningInput(
        family=cpe.model.family,
        model=cpe.model.name,
        tech=cpe.tech,
        pots_ports=cpe.model.pots_ports,
        cpename=cpe.cpename,
        sn=cpe.sn,
        mac=cpe.mac or "",
        bridge=cpe.bridge,
        external_voip=cpe.external_voip,
        lan_cidr=cpe.lan_cidr or "",
        pppoe_username=cpe.pppoe_username or "",
        pppoe_password=cpe.pppoe_password or "",
        wifi_ssid=cpe.wifi_ssid or "",
        wifi_password=cpe.wifi_password or "",
        management_password=cpe.management_password or "",
        country=cpe.country or (subscriber.country if subscriber else "") or "",
        subscriber_surname=subscriber.surname if subscriber else "",
        service=ServiceInfo(
            internet_vlan=profile.internet_vlan,
            cos=profile.cos,
            wan_mode=profile.wan_mode,
            nat=profile.nat,
            download_kbps=profile.download_kbps,
            upload_kbps=profile.upload_kbps,
        )
        if profile
        else None,
        tv=TvInfo(iptv_vlan=tv.iptv_vlan, cos=tv.cos, bridge_ports=tuple(int(p) for p in tv.bridge_ports or ()))
        if tv
        else None,
        voip=VoipInfo(sip_server=voip.sip_server, sip_port=voip.sip_port, vlan=voip.vlan, cos=voip.cos)
        if voip
        else None,
        wifi=WifiInfo(
            ssid_pattern=wifi.ssid_pattern,
            security=wifi.security,
            bands=wifi.bands,
            channel_24=wifi.channel_24,
            channel_5=wifi.channel_5,
            width_24=wifi.width_24,
            width_5=wifi.width_5,
        )
        if wifi
        else None,
        address=AddressInfo(
            lan_cidr=address.lan_cidr,
            dhcp_start=address.dhcp_start,
            dhcp_end=address.dhcp_end,
            dns_servers=tuple(address.dns_servers or ()),
        )
        if address
        else None,
        pots=tuple(
            PotsInfo(
                order=line.order,
                username=line.username or "",
                password=line.password or "",
                cli=line.cli or "",
                label=line.label or "",
            )
            for line in lines
        ),
        static_wan=static,
        port_forwarding=tuple(params.get("port_forwarding") or ()),
    )
