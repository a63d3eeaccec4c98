"""The management-network guard and endpoint construction (pure parts)."""

from types import SimpleNamespace

import pytest

from devices.connect import ManagementAddressRefused, check_management_address, endpoint_for


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
    endpoint = endpoint_for(cpe_row(family))
    assert (endpoint.port, endpoint.scheme) == (port, "http")
    assert endpoint_for(cpe_row(family, management_port=8443, management_scheme="https")).port == 8443


def test_halny_without_a_password_uses_the_factory_credentials():
    assert (endpoint_for(cpe_row("halny")).username, endpoint_for(cpe_row("halny")).password) == (
        "apiuser",
        "8780APIpass",
    )
    stored = endpoint_for(cpe_row("halny", management_username="admin", management_password="pw"))
    assert (stored.username, stored.password) == ("admin", "pw")
    assert endpoint_for(cpe_row("peplink")).password == ""  # no factory rule: what the row holds
