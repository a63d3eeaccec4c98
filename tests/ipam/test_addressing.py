"""Address keys and usable space, without a database."""

import ipaddress

import pytest

from network.ipam.addressing import UsableSpace, address_key, key_of, number_of, parse_network, parse_range


def test_keys_order_like_the_numbers_for_ipv4_and_ipv6():
    addresses = ["10.0.0.9", "10.0.0.10", "10.0.1.0", "9.255.255.255"]
    assert sorted(addresses, key=address_key) == sorted(addresses, key=lambda a: int(ipaddress.ip_address(a)))
    v6 = ["2001:db8::ffff", "2001:db8::1:0", "2001:db8::a", "ffff::1"]
    assert sorted(v6, key=address_key) == sorted(v6, key=lambda a: int(ipaddress.ip_address(a)))
    top = 2**128 - 1
    assert number_of(key_of(top)) == top and len(key_of(top)) == 32


@pytest.mark.parametrize(
    "text, message",
    [("10.0.0.1/24", "host bits set; did you mean 10.0.0.0/24"), ("10.0.0.0/33", "is not a CIDR"), ("nope", "CIDR")],
)
def test_bad_cidrs_say_why(text, message):
    with pytest.raises(ValueError, match=message):
        parse_network(text)


def test_usable_space_skips_network_broadcast_gateway_and_reserved():
    network = parse_network("192.0.2.0/29")  # .0 .. .7
    space = UsableSpace.of(network, gateway="192.0.2.1", reserved=["192.0.2.3-192.0.2.4"])
    base = int(network.network_address)
    usable = [n - base for n in range(base, base + 8) if not space.is_excluded(n)]
    assert usable == [2, 5, 6]
    assert space.capacity == 3
    assert space.next_usable(base) == base + 2
    assert space.next_usable(base + 3) == base + 5
    assert space.next_usable(base + 7) is None


def test_point_to_point_and_ipv6_spaces():
    assert UsableSpace.of(parse_network("192.0.2.0/31")).capacity == 2
    assert UsableSpace.of(parse_network("192.0.2.1/32")).capacity == 1
    v6 = UsableSpace.of(parse_network("2001:db8::/64"))
    assert v6.capacity == 2**64 - 1  # the subnet-router anycast address only
    with pytest.raises(ValueError, match="outside"):
        parse_range("10.0.0.1", parse_network("192.0.2.0/24"))
