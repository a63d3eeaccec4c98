"""The vendor registry (one row per device family) and the HALNy renderer's builders, one by one (pure)."""

from __future__ import annotations

import pytest

from devices.choices import ActionKind, DeviceFamily, WanMode, WifiBands, WifiSecurity
from devices.drivers import base, driver_class
from devices.provisioning import (
    AddressInfo,
    PotsInfo,
    ProvisioningError,
    ProvisioningInput,
    ServiceInfo,
    TvInfo,
    VoipInfo,
    WifiInfo,
    render,
)
from devices.provisioning import halny as halny_provisioning
from devices.vendors import VENDORS, vendor

ALL_CAPABILITIES = {value for name, value in vars(base).items() if name.startswith("CAP_")}

# ---------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------


def test_every_family_has_exactly_one_row():
    assert set(VENDORS) == set(DeviceFamily.values)
    for family, row in VENDORS.items():
        assert row.family == family and row.label == DeviceFamily(family).label


@pytest.mark.parametrize("family", DeviceFamily.values)
def test_each_row_names_code_that_imports(family):
    row = vendor(family)
    assert issubclass(row.driver, base.DeviceDriver) and row.driver is driver_class(family)
    assert row.driver.vendor == family
    # The operations the family supports are its driver's declared capabilities.
    assert row.capabilities and row.capabilities <= ALL_CAPABILITIES
    assert row.capabilities == row.driver.capabilities
    assert 0 < row.default_port < 65536 and row.default_scheme in ("http", "https")
    assert row.comparable("any/section", {"n": 1}, shape="update")  # the comparer resolves and answers


def test_only_halny_derives_factory_credentials_from_the_mac():
    assert vendor(DeviceFamily.HALNY).factory_credentials("E0:8F:EC:12:87:80") == ("apiuser", "8780APIpass")
    assert vendor(DeviceFamily.PEPLINK).factory_credentials is None
    assert vendor(DeviceFamily.FANVIL).factory_credentials is None


def test_family_traits():
    assert [f for f, row in VENDORS.items() if row.shows_wan] == [DeviceFamily.PEPLINK]
    assert [f for f, row in VENDORS.items() if row.phone] == [DeviceFamily.FANVIL]
    assert {f: row.default_port for f, row in VENDORS.items()} == {"halny": 48626, "peplink": 443, "fanvil": 80}


def test_an_unknown_family_is_a_clear_error():
    with pytest.raises(LookupError, match=r"no driver for vendor family 'acme' \(known: halny, peplink, fanvil\)"):
        vendor("acme")
    with pytest.raises(LookupError, match="'acme'"):
        driver_class("acme")
    with pytest.raises(ProvisioningError, match="no provisioning for vendor family 'acme'"):
        render(ProvisioningInput(family="acme", model="X"))


# ---------------------------------------------------------------------------
# HALNy builders
# ---------------------------------------------------------------------------


def ont(model: str = "HL-4GMV", **overrides) -> ProvisioningInput:
    values = {
        "family": "halny",
        "model": model,
        "tech": "gpon",
        "cpename": "alp0042",
        "mac": "E0:8F:EC:12:87:80",
        "pppoe_password": "ppp-secret",
        "wifi_password": "wifi-secret",
        "service": ServiceInfo(internet_vlan=100, cos=1, wan_mode=WanMode.PPPOE),
        "tv": TvInfo(iptv_vlan=200, cos=4, bridge_ports=(4,)),
        "voip": VoipInfo(sip_server="10.0.0.5", vlan=300, cos=5),
        "wifi": WifiInfo(security=WifiSecurity.WPA2, bands=WifiBands.DUAL, channel_24=6),
        "pots": (PotsInfo(order=1, username="1100", password="pw", cli="481100", label="Home"),),
    }
    return ProvisioningInput(**{**values, **overrides})


def paths(sections) -> list[str]:
    return [section.path for section in sections]


def test_build_wans_triple_play_and_the_disabled_rest():
    wans = halny_provisioning.build_wans(ont(), ActionKind.REPROVISION)
    assert sorted(wans) == list(range(1, 9))
    assert wans[1]["conn_type"] == "pppoe" and wans[1]["vlan_id"] == "100" and wans[1]["ppp_login"] == "alp0042"
    assert wans[2]["conn_type"] == "bridge" and wans[2]["vlan_id"] == "200"
    assert wans[3]["service_type"] == "voip" and wans[3]["vlan_id"] == "300"
    assert all(wans[n] is None for n in range(4, 9))
    # Reconfig touches the triple-play WANs only; unprovision disables them.
    assert sorted(halny_provisioning.build_wans(ont(tv=None), ActionKind.RECONFIG)) == [1, 2, 3]
    assert halny_provisioning.build_wans(ont(), ActionKind.UNPROVISION) == {1: None, 2: None, 3: None}
    # An external VoIP service needs no VoIP WAN on the ONT.
    assert halny_provisioning.build_wans(ont(external_voip=True), ActionKind.RECONFIG)[3] is None


def test_build_port_binding_follows_the_lan_map():
    inp = ont()
    binding = halny_provisioning.build_port_binding(inp, ActionKind.REPROVISION, {1: {}, 2: {}, 3: {}, 4: None})
    assert sorted(k for k, on in binding[1].items() if on) == ["lan1", "lan2", "lan3", "wifi24_ssid1", "wifi5_ssid1"]
    assert [k for k, on in binding[2].items() if on] == ["lan4"]
    assert not any(binding[3].values()) and not any(binding[4].values())
    off = halny_provisioning.build_port_binding(inp, ActionKind.UNPROVISION, {1: None, 2: None, 3: None})
    assert not any(on for bind in off.values() for on in bind.values())


def test_build_voip_writes_every_line_of_the_model():
    sections = halny_provisioning.build_voip(ont(), ActionKind.REPROVISION)
    assert paths(sections) == ["voip", "voip/line/1"]
    assert sections[1].values == {"enable": "yes", "login": "1100", "password": "pw", "display_name": "Home"}
    off = halny_provisioning.build_voip(ont(), ActionKind.UNPROVISION)
    assert paths(off) == ["voip/line/1"] and off[0].values["enable"] == "no"
    assert halny_provisioning.build_voip(ont("HL-1B"), ActionKind.REPROVISION) == []  # no POTS port


def test_build_lan_only_on_reprovision():
    inp = ont(address=AddressInfo(lan_cidr="192.168.7.1/24", dns_servers=("9.9.9.9",)))
    (lan,) = halny_provisioning.build_lan(inp, ActionKind.REPROVISION)
    assert lan.values["ip"] == "192.168.7.1" and lan.values["dhcp_enable"] == "yes"
    assert lan.values["dns_proxy_type"] == "manual" and lan.values["dns_primary"] == "9.9.9.9"
    assert halny_provisioning.build_lan(inp, ActionKind.RECONFIG) == []


def test_build_wifi_radios_and_ssids():
    sections = halny_provisioning.build_wifi(ont(), ActionKind.REPROVISION)
    by_path = {s.path: s.values for s in sections}
    assert paths(sections)[:2] == ["wlan24", "wlan24/ssid/1"] and "wlan5/ssid/4" in by_path
    assert by_path["wlan24"]["channel"] == "6" and by_path["wlan24"]["channel_selection"] == "manual"
    assert by_path["wlan5/ssid/1"]["ssid_name"] == "alp0042" and by_path["wlan5/ssid/1"]["password"] == "wifi-secret"
    assert by_path["wlan24/ssid/2"] == {"prefix": "", "ssid_name": "", "password": ""}
    reconfig = halny_provisioning.build_wifi(ont(), ActionKind.RECONFIG)
    assert "wlan24/ssid/2" not in paths(reconfig)
    off = halny_provisioning.build_wifi(ont(), ActionKind.UNPROVISION)
    assert paths(off) == ["wlan24/ssid/1", "wlan5/ssid/1"]
    assert halny_provisioning.build_wifi(ont("HL-2BV"), ActionKind.REPROVISION) == []  # no radio


def test_build_management_sets_the_admin_password_only_when_known():
    assert paths(halny_provisioning.build_management(ont(), ActionKind.REPROVISION)) == ["management/web"]
    with_password = halny_provisioning.build_management(ont(management_password="adm"), ActionKind.REPROVISION)
    assert with_password[1].values == {"admin_password": "adm"}
    assert halny_provisioning.build_management(ont(management_password="adm"), ActionKind.RECONFIG) == []


def test_build_forwarding_fills_from_rule_zero():
    rule = {"protocol": "udp", "wan_start_port": 5000, "local_ip": "192.168.1.10"}
    sections = halny_provisioning.build_forwarding(ont(port_forwarding=(rule,)), ActionKind.REPROVISION)
    assert (
        len(sections) == 32 and sections[0].values["active"] == "yes" and sections[0].values["wan_start_port"] == "5000"
    )
    assert sections[1].values == halny_provisioning.EMPTY_FORWARDING_RULE
    assert len(halny_provisioning.build_forwarding(ont(port_forwarding=(rule,)), ActionKind.RECONFIG)) == 1
    with pytest.raises(ProvisioningError, match=r"port_forwarding\[0\]: unknown field"):
        halny_provisioning.build_forwarding(ont(port_forwarding=({"colour": "red"},)), ActionKind.RECONFIG)
