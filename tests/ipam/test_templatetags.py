"""How the IPAM pages write address counts (pure function)."""

import pytest

from network.ipam.templatetags.ipam_tags import address_count


@pytest.mark.parametrize(
    ("count", "shown"),
    [(0, "0"), (254, "254"), (65533, "65533"), (2**32 - 1, "4294967295"), (2**32, "≈ 2^32"), (2**64 - 1, "≈ 2^64")],
)
def test_counts_are_exact_up_to_ipv4_sizes_and_powers_of_two_beyond(count, shown):
    assert address_count(count) == shown
