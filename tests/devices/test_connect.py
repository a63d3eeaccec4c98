"""The management-network guard and endpoint construction (pure parts)."""

import pytest

from devices.connect import ManagementAddressRefused, check_management_address


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
