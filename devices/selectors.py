"""Read queries the action engine, the API and the UI share (devices app)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet

from .models import Cpe, DeviceAction
from .provisioning import (
    AddressInfo,
    PotsInfo,
    ProvisioningInput,
    ServiceInfo,
    TvInfo,
    VoipInfo,
    WifiInfo,
)

# Everything running an action on a CPE touches, in one query.
CPE_RELATED = (
    "tenant",
    "model",
    "customer",
    "profile",
    "tv_profile",
    "voip_profile",
    "wifi_profile",
    "address_profile",
)


def cpe_for_action(cpe_id: int) -> Cpe:
    return Cpe.objects.select_related(*CPE_RELATED).get(pk=cpe_id)


def action_with_cpe(action_id: int) -> DeviceAction:
    """The action, its CPE and everything rendering needs (one query)."""
    related = ("cpe", *(f"cpe__{name}" for name in CPE_RELATED))
    return DeviceAction.objects.select_related(*related).get(pk=action_id)


def provisioning_input(cpe: Cpe, params: Mapping[str, Any] | None = None) -> ProvisioningInput:
    """Snapshot of what :func:`devices.provisioning.render` needs (the POTS lines cost one query)."""
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
        port_forwarding=tuple(params.get("port_forwarding") or ()),
    )


def cpe_actions(tenant, cpe: Cpe) -> QuerySet[DeviceAction]:
    return DeviceAction.objects.for_tenant(tenant).filter(cpe=cpe).select_related("cpe").order_by("-created", "-id")
