"""The management-network guard, the device-address rules and endpoint construction (pure parts).

``endpoint_for(..., shared=frozenset())``: the one-tenant-per-address check is
given its (empty) answer here; tests/devices/test_device_addresses.py covers it
against the database and real simulators.
"""

from types import SimpleNamespace

import pytest

from devices.addresses import own_service_problem
from devices.connect import ManagementAddressRefused, ManagementAddressShared, check_management_address, endpoint_for


@pytest.mark.parametrize(
    "address,networks",
    [("10.1.2.3", ["10.0.0.0/8"]), ("127.1.0.5", ["127.0.0.0/8"]), ("2001:db8::1", ["2001:db8::/32"])],
)
def test_addresses_inside_the_networks_pass(address, networks):
    check_management_address(address, networks)


@pytest.mark.parametrize(
    "address,networks,reason",
    [
        (None, ["10.0.0.0/8"], "no management address"),
        ("", ["10.0.0.0/8"], "no management address"),
        ("169.254.169.254", ["10.0.0.0/8"], "outside"),
        ("127.0.0.1", ["10.0.0.0/8", "192.168.0.0/16"], "outside"),
        # Inside the tenant's networks, still never the portal's own host or a non-device address.
        ("127.0.0.1", ["127.0.0.0/8"], "portal's own host"),
        ("127.0.0.9", ["127.0.0.0/8"], "loopback"),
        ("::1", ["::/0"], "portal's own host"),
        ("169.254.169.254", ["0.0.0.0/0"], "link-local"),
        ("0.0.0.0", ["0.0.0.0/0"], "unspecified"),
        ("224.0.0.1", ["0.0.0.0/0"], "multicast"),
        ("::ffff:127.1.0.5", ["::/0"], "IPv4-mapped"),
        ("10.1.2.3", [], "outside"),
        ("10.1.2.3", ["not-a-cidr"], "outside"),
        ("evil.example", ["10.0.0.0/8"], "not an IP address"),
    ],
)
def test_addresses_outside_are_refused(address, networks, reason):
    with pytest.raises(ManagementAddressRefused, match=reason) as info:
        check_management_address(address, networks)
    assert not info.value.retryable


def cpe_row(family: str, **fields) -> SimpleNamespace:
    """Just the attributes endpoint_for reads from a Cpe row."""
    values = {
        "management_address": "10.1.2.3",
        "tenant": SimpleNamespace(management_networks=["10.0.0.0/8"]),
        "model": SimpleNamespace(family=family, name="M"),
        "management_username": "",
        "management_password": "",
        "management_port": None,
        "management_scheme": "",
        "mac": "E0:8F:EC:12:87:80",
        "tls_verify": True,
        "tls_ca_pem": "",
        "tls_fingerprint_sha256": "",
    }
    return SimpleNamespace(**{**values, **fields})


@pytest.mark.parametrize("family,port", [("halny", 48626), ("peplink", 443), ("fanvil", 80)])
def test_endpoint_defaults_come_from_the_vendor_row(family, port):
    endpoint = endpoint_for(cpe_row(family), shared=frozenset())
    assert (endpoint.port, endpoint.scheme) == (port, "http")
    assert (
        endpoint_for(cpe_row(family, management_port=8443, management_scheme="https"), shared=frozenset()).port == 8443
    )


def test_halny_without_a_password_uses_the_factory_credentials():
    halny = endpoint_for(cpe_row("halny"), shared=frozenset())
    assert (halny.username, halny.password) == ("apiuser", "8780APIpass")
    stored = endpoint_for(cpe_row("halny", management_username="admin", management_password="pw"), shared=frozenset())
    assert (stored.username, stored.password) == ("admin", "pw")
    assert endpoint_for(cpe_row("peplink"), shared=frozenset()).password == ""  # no factory rule: what the row holds


@pytest.mark.parametrize(
    "address,port",
    [
        ("127.50.3.7", 8000),  # a simulator range, but the portal's web port
        ("127.50.3.7", 7999),  # ... or the fleet control API
        ("127.0.0.1", 48626),  # the portal's host: never, whatever the port
        ("127.0.0.2", 48626),  # loopback outside the declared simulator ranges
    ],
)
def test_the_portals_own_services_are_refused_at_connect(address, port):
    row = cpe_row("halny", management_address=address, management_port=port)
    row.tenant.management_networks = ["127.0.0.0/8"]
    with pytest.raises(ManagementAddressRefused, match="never contacts it") as info:
        endpoint_for(row, shared=frozenset())
    assert not info.value.retryable


def test_a_simulator_range_passes_except_for_the_portals_ports(settings):
    assert own_service_problem("127.50.3.7", 48626) is None
    assert own_service_problem("127.50.3.7") is None  # port not known yet: judged at connect
    settings.NOC_SIMULATOR_NETWORKS = []  # production: no loopback device anywhere
    assert "loopback" in own_service_problem("127.50.3.7", 48626)
    settings.NOC_PORTAL_ADDRESSES = ["10.9.0.2"]
    assert "portal's own host" in own_service_problem("10.9.0.2", 443)
    assert own_service_problem("10.9.0.3", 443) is None


def test_an_endpoint_another_tenant_uses_is_refused_and_not_retried():
    row = cpe_row("halny", management_port=48626)
    with pytest.raises(ManagementAddressShared, match="also used by a CPE of another tenant") as info:
        endpoint_for(row, shared=frozenset({("10.1.2.3", 48626)}))
    assert not info.value.retryable
    endpoint_for(row, shared=frozenset({("10.1.2.3", 80)}))  # another port is another device
