"""The pure parts: kind → vendor operation map, the provisioning renderer per vendor/model, drift."""

from __future__ import annotations

import pytest

from devices.actions.kinds import KINDS, refusal
from devices.choices import ActionKind, WanMode, WifiSecurity
from devices.drivers import driver_class
from devices.drivers.base import ConfigSection, DeviceConfig
from devices.provisioning import (
    AddressInfo,
    PotsInfo,
    ProvisioningError,
    ProvisioningInput,
    ServiceInfo,
    TvInfo,
    VoipInfo,
    WifiInfo,
    drift,
    drift_report,
    problems,
    render,
)
from devices.provisioning.halny import halny_port_map
from devices.provisioning.peplink import comparable as peplink_comparable

# ---------------------------------------------------------------------------
# Operations
# ---------------------------------------------------------------------------

SUPPORTED = {
    "halny": set(ActionKind.values),
    "fanvil": set(ActionKind.values),
    "peplink": set(ActionKind.values) - {ActionKind.FACTORY},
}


@pytest.mark.parametrize("family", sorted(SUPPORTED))
@pytest.mark.parametrize("kind", ActionKind.values)
def test_each_kind_maps_to_each_vendor_or_is_refused(family, kind):
    reason = refusal(kind, family=family, model="M", capabilities=driver_class(family).capabilities)
    assert (reason is None) == (kind in SUPPORTED[family]), reason
    if reason:
        assert "cannot factory-reset" in reason and "M (peplink)" in reason


@pytest.mark.parametrize(
    "kind,flags,refused",
    [
        (ActionKind.REPROVISION, {"disable_provision": True}, "Provisioning is disabled"),
        (ActionKind.UNPROVISION, {"disable_provision": True}, "Provisioning is disabled"),
        (ActionKind.FACTORY, {"disable_provision": True}, "Provisioning is disabled"),
        (ActionKind.RECONFIG, {"disable_reconfig": True}, "Reconfiguration is disabled"),
        (ActionKind.RECONFIG, {"disable_provision": True}, "Provisioning is disabled"),
        (ActionKind.REBOOT, {"disable_provision": True, "disable_reconfig": True}, None),
        (ActionKind.DIAGNOSTIC, {"disable_provision": True, "disable_reconfig": True}, None),
        (ActionKind.REPROVISION, {"disable_reconfig": True}, None),
    ],
)
def test_disable_flags(kind, flags, refused):
    reason = refusal(kind, family="halny", model="HL-4GMV", capabilities=driver_class("halny").capabilities, **flags)
    assert (reason is None) if refused is None else (refused in reason)


def test_only_reads_skip_the_device_lease():
    assert {k for k, op in KINDS.items() if not op.mutating} == {ActionKind.DIAGNOSTIC}


# ---------------------------------------------------------------------------
# HALNy
# ---------------------------------------------------------------------------


def halny(model: str = "HL-4GMV", **overrides) -> ProvisioningInput:
    values = dict(
        family="halny",
        model=model,
        tech="gpon",
        cpename="alp0042",
        sn="HALN00000042",
        mac="E0:67:B3:12:87:80",
        pppoe_username="jan.kowalski",
        pppoe_password="ppp-pass",
        wifi_password="wifi-pass-1",
        management_password="8780APIpass",
        country="Poland",
        service=ServiceInfo(internet_vlan=400, cos=0, wan_mode=WanMode.PPPOE, nat=True),
        tv=TvInfo(iptv_vlan=200, cos=5, bridge_ports=(3, 4)),
        voip=VoipInfo(sip_server="10.192.168.149", sip_port=5060, vlan=100, cos=6),
        wifi=WifiInfo(security=WifiSecurity.WPA2_WPA3),
        address=AddressInfo(
            lan_cidr="192.168.99.1/24",
            dhcp_start="192.168.99.100",
            dhcp_end="192.168.99.120",
            dns_servers=("192.168.123.1",),
        ),
        pots=(PotsInfo(order=1, username="1100", password="1100", label="test_voip"),),
    )
    values.update(overrides)
    return ProvisioningInput(**values)


def test_halny_triple_play_matches_the_seed():
    config = render(halny()).as_dict()
    assert config["wan/1"] == {
        "enabled": "yes",
        "conn_type": "pppoe",
        "mode": "router",
        "service_type": "internet",
        "ip_version": "ipv4",
        "dot1q": "tag",
        "vlan_id": "400",
        "cos": "0",
        "nat_enable": "yes",
        "ppp_login": "jan.kowalski",
        "ppp_password": "ppp-pass",
    }
    assert config["wan/2"] == {
        "enabled": "yes",
        "conn_type": "bridge",
        "mode": "bridge",
        "service_type": "other",
        "ip_version": "ipv4",
        "dot1q": "tag",
        "vlan_id": "200",
        "cos": "5",
    }
    assert config["wan/3"]["service_type"] == "voip" and config["wan/3"]["vlan_id"] == "100"
    # The seed's port binding: WAN1 ← LAN1, LAN2, SSID1 of both radios; WAN2 ← LAN3, LAN4.
    assert config["wan/1/port_bind"] | {} == {
        "lan1": "yes",
        "lan2": "yes",
        "lan3": "no",
        "lan4": "no",
        "wifi24_ssid1": "yes",
        "wifi24_ssid2": "no",
        "wifi24_ssid3": "no",
        "wifi24_ssid4": "no",
        "wifi5_ssid1": "yes",
        "wifi5_ssid2": "no",
        "wifi5_ssid3": "no",
        "wifi5_ssid4": "no",
    }
    assert [k for k, v in config["wan/2/port_bind"].items() if v == "yes"] == ["lan3", "lan4"]
    assert config["voip"] == {"register_server": "10.192.168.149", "register_port": "5060"}
    assert config["voip/line/1"] == {"enable": "yes", "login": "1100", "password": "1100", "display_name": "test_voip"}
    assert config["lan"] == {
        "dhcp_enable": "yes",
        "ip": "192.168.99.1",
        "netmask": "255.255.255.0",
        "dhcp_lease_time": "86400",
        "dhcp_start_ip": "192.168.99.100",
        "dhcp_end_ip": "192.168.99.120",
        "dns_proxy_type": "manual",
        "dns_primary": "192.168.123.1",
    }
    assert config["wlan24/ssid/1"]["security"] == "WPA2/WPA3 Personal"
    assert config["wlan5/ssid/1"]["ssid_name"] == "alp0042" and config["wlan5"]["country"] == "POLAND"
    assert config["management/passwords"] == {"admin_password": "8780APIpass"}
    # Reprovision is from scratch: every WAN, SSID and port-forwarding rule is written.
    assert config["wan/8"] == {"enabled": "no"}
    assert config["nat_config/port_forwarding_rule/31"]["active"] == "no"


@pytest.mark.parametrize(
    "model,bridge_ports,internet,iptv",
    [
        ("HL-4GMV", (3, 4), ["lan1", "lan2"], ["lan3", "lan4"]),
        # LAN4 is the 2.5G port of the HL-4BX3V-F: internet keeps it even when the TV profile names it.
        ("HL-4BX3V-F", (3, 4), ["lan1", "lan2", "lan4"], ["lan3"]),
        ("HL-4BX3V-F", (4,), ["lan1", "lan2", "lan3", "lan4"], []),
        # HL-1B: one (2.5G) port and no Wi-Fi: internet never loses its only port.
        ("HL-1B", (1,), ["lan1"], []),
        ("HL-2BV", (1,), ["lan2"], ["lan1"]),
        ("HL-2BV", (1, 2, 7), ["lan2"], ["lan1"]),
    ],
)
def test_lan_map_per_model(model, bridge_ports, internet, iptv):
    assert halny_port_map(model, bridge_ports) == {"internet": internet, "iptv": iptv}


def test_hl1b_has_no_wifi_or_voice_nodes():
    config = render(halny("HL-1B", bridge=True)).as_dict()
    assert not [p for p in config if p.startswith(("wlan", "voip"))]
    assert set(config["wan/1/port_bind"]) == {"lan1"}
    assert config["wan/1"]["conn_type"] == "bridge" and config["lan"]["dhcp_enable"] == "no"
    assert "wan/3" in config and config["wan/3"] == {"enabled": "no"}  # no POTS: no VoIP WAN


def test_reconfig_pushes_services_only_and_unprovision_takes_them_off():
    reconfig = render(halny(), ActionKind.RECONFIG).as_dict()
    assert "lan" not in reconfig and "management/passwords" not in reconfig and "wan/8" not in reconfig
    assert reconfig["wan/1"]["enabled"] == "yes"
    off = render(halny(), ActionKind.UNPROVISION).as_dict()
    assert off["wan/1"] == off["wan/2"] == off["wan/3"] == {"enabled": "no"}
    assert all(v == "no" for v in off["wan/1/port_bind"].values())
    assert off["voip/line/1"]["enable"] == "no" and off["wlan24/ssid/1"]["ssid_name"] == ""


def test_port_forwarding_from_params():
    rule = {"protocol": "udp", "wan_start_port": 4000, "wan_end_port": 5000, "local_ip": "192.168.99.125"}
    config = render(halny(port_forwarding=(rule,))).as_dict()
    assert config["nat_config/port_forwarding_rule/0"]["active"] == "yes"
    assert config["nat_config/port_forwarding_rule/0"]["wan_start_port"] == "4000"
    with pytest.raises(ProvisioningError, match="unknown field"):
        render(halny(port_forwarding=({"bogus": 1},)))


@pytest.mark.parametrize(
    "change,problem",
    [
        ({"service": None}, "no service profile"),
        ({"pppoe_password": ""}, "no PPPoE password"),
        ({"wifi_password": "short"}, "8 to 63"),
    ],
)
def test_problems_are_refusal_reasons(change, problem):
    inp = halny(**change)
    assert any(problem in p for p in problems(inp, ActionKind.REPROVISION))
    with pytest.raises(ProvisioningError):
        render(inp)
    assert problems(inp, ActionKind.UNPROVISION) == []


# ---------------------------------------------------------------------------
# Peplink and Fanvil
# ---------------------------------------------------------------------------


def peplink(**overrides) -> ProvisioningInput:
    values = dict(
        family="peplink",
        model="Balance 20X",
        tech="ethernet",
        cpename="alp0100",
        pppoe_password="ppp",
        wifi_password="wifi-pass-1",
        service=ServiceInfo(wan_mode=WanMode.PPPOE, nat=False, download_kbps=100_000, upload_kbps=20_000),
        wifi=WifiInfo(security=WifiSecurity.WPA3),
    )
    values.update(overrides)
    return ProvisioningInput(**values)


def test_peplink_wan_connection_and_ssid_profile():
    config = render(peplink()).as_dict()
    assert config["config.wan.connection/1"] == {
        "enable": True,
        "connection": {
            "routingMode": "IP Forwarding",
            "bandwidth": {
                "download": {"value": 100_000, "unit": "kbps"},
                "upload": {"value": 20_000, "unit": "kbps"},
            },
            "method": {"type": "pppoe", "detail": {"username": "alp0100", "password": "ppp"}},
        },
    }
    ssid = config["config.ssid.profile/1"]
    assert ssid["name"] == "alp0100" and ssid["security"]["policy"] == "WPA2 Personal"  # no WPA3 in the API
    # A cellular router keeps its uplink method.
    lte = render(peplink(tech="lte", service=ServiceInfo(wan_mode=WanMode.DHCP))).as_dict()
    assert "method" not in lte["config.wan.connection/1"]["connection"]
    assert render(peplink(), ActionKind.UNPROVISION).as_dict() == {"config.ssid.profile/1": {"enable": False}}


def test_peplink_readback_mapping_and_drift():
    desired = render(peplink())
    running_wan = {
        "name": "WAN",
        "enable": True,
        "connection": {
            "method": "pppoe",
            "mode": "IP Forwarding",
            "pppoe": {"username": "alp0100", "password": "ppp"},
            "bandwidth": {"upload": {"bandwidth": 20_000, "unit": "kbps"}, "download": {"bandwidth": 100_000}},
            "priority": 1,
        },
    }
    flat = peplink_comparable("config.wan.connection/1", desired.sections[0].values, shape="update")
    assert flat == {
        "enable": True,
        "connection.mode": "IP Forwarding",
        "connection.method": "pppoe",
        "connection.pppoe.username": "alp0100",
        "connection.pppoe.password": "ppp",
        "connection.bandwidth.download.bandwidth": 100_000,
        "connection.bandwidth.upload.bandwidth": 20_000,
    }
    ssid = dict(desired.sections[1].values)
    running = DeviceConfig(
        [
            ConfigSection("config.wan.connection/1", running_wan),
            ConfigSection(**{"path": "config.ssid.profile/1", "values": ssid}),
        ]
    )
    assert drift("peplink", desired, running) == []
    running_wan["connection"]["mode"] = "NAT"
    running_wan["connection"]["pppoe"]["password"] = "other"
    report = drift_report("peplink", desired, running)
    assert not report["in_sync"]
    assert {(d["field"], d["desired"], d["running"]) for d in report["differences"]} == {
        ("connection.mode", "IP Forwarding", "NAT"),
        ("connection.pppoe.password", "••••••", "••••••"),  # secrets never shown
    }


def test_fanvil_sip_lines_from_pots():
    inp = ProvisioningInput(
        family="fanvil",
        model="X6",
        pots_ports=3,
        voip=VoipInfo(sip_server="sip.example", sip_port=5062),
        pots=(PotsInfo(order=2, username="4812000", password="pw", cli="4812000"),),
    )
    config = render(inp).as_dict()
    assert config["sip/2"] == {
        "EnableReg": "1",
        "RegisterAddr": "sip.example",
        "RegisterPort": "5062",
        "PhoneNumber": "4812000",
        "RegisterUser": "4812000",
        "RegisterPswd": "pw",
        "DisplayName": "4812000",
    }
    assert config["sip/1"] == config["sip/3"] == {"EnableReg": "0"}
    assert set(render(inp, ActionKind.RECONFIG).as_dict()) == {"sip/2"}
    assert all(v == {"EnableReg": "0"} for v in render(inp, ActionKind.UNPROVISION).as_dict().values())
    assert "no POTS lines" in problems(ProvisioningInput(family="fanvil", model="X6", voip=inp.voip), "reconfig")[0]


def test_halny_drift_names_each_field():
    desired = DeviceConfig([ConfigSection("lan", {"ip": "192.168.99.1", "dhcp_enable": True})])
    running = DeviceConfig([ConfigSection("lan", {"ip": "192.168.1.1", "dhcp_enable": "yes"})])
    assert [(d.section, d.field, d.desired, d.running) for d in drift("halny", desired, running)] == [
        ("lan", "ip", "192.168.99.1", "192.168.1.1")
    ]
    missing = drift("halny", desired, DeviceConfig())
    assert {d.field for d in missing} == {"ip", "dhcp_enable"}
