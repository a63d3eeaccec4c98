"""Address arithmetic of IPAM, with no database: keys, usable ranges, capacity.

An address is stored twice: a ``GenericIPAddressField`` for people and a
*key*, the address as a 32-digit zero-padded lowercase hex string, for
ordering and range queries. Why a hex string and not a 39-digit decimal:
SQLite gives a DECIMAL column numeric affinity and turns an integer above
2**63 into a REAL, so IPv6 keys would lose their low bits there (and collide);
a fixed-width string of ``0-9a-f`` orders the same as the number on every
backend (bytewise, and in every common collation digits sort before letters),
needs no arithmetic in SQL, and its btree index serves ``key BETWEEN a AND b``.
IPv4 and IPv6 keys never meet: a subnet and its allocations have one family.
"""

from __future__ import annotations

import bisect
import ipaddress
from dataclasses import dataclass, field

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def key_of(number: int) -> str:
    return format(number, "032x")


def number_of(key: str) -> int:
    return int(key, 16)


def address_key(address: str | IPAddress) -> str:
    return key_of(int(ipaddress.ip_address(address)))


def parse_network(cidr: str) -> IPNetwork:
    """A CIDR in canonical form; host bits set, or garbage, is a ``ValueError`` with a readable message."""
    text = (cidr or "").strip()
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        try:
            loose = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise ValueError(f"{text!r} is not a CIDR (e.g. 192.0.2.0/24 or 2001:db8::/64).") from exc
        raise ValueError(f"{text} has host bits set; did you mean {loose}?") from exc


def parse_range(text: str, network: IPNetwork) -> tuple[int, int]:
    """``"a-b"`` or one address, both inside ``network``, as (first, last) numbers."""
    first_text, _, last_text = text.partition("-")
    try:
        first = ipaddress.ip_address(first_text.strip())
        last = ipaddress.ip_address(last_text.strip()) if last_text else first
    except ValueError as exc:
        raise ValueError(f"{text!r} is not an address or an 'a-b' range.") from exc
    for address in (first, last):
        if address not in network:
            raise ValueError(f"{address} is outside {network}.")
    if int(last) < int(first):
        raise ValueError(f"{text!r}: the range ends before it starts.")
    return int(first), int(last)


def has_broadcast(network: IPNetwork) -> bool:
    # IPv4 point-to-point links (/31, RFC 3021) and host routes (/32) use every address.
    return network.version == 4 and network.prefixlen <= 30


@dataclass
class UsableSpace:
    """The addresses of a subnet that may be handed out: all of it minus the excluded intervals.

    Excluded: the network address (IPv4 network / IPv6 subnet-router anycast,
    except /31, /32, /127, /128), the IPv4 broadcast, the gateway and the
    reserved ranges — merged, sorted, inclusive.
    """

    first: int
    last: int
    excluded: list[tuple[int, int]] = field(default_factory=list)

    @classmethod
    def of(cls, network: IPNetwork, gateway: str | None = None, reserved: list[str] | tuple = ()) -> UsableSpace:
        first, last = int(network.network_address), int(network.broadcast_address)
        spans: list[tuple[int, int]] = []
        if network.num_addresses > 2:
            spans.append((first, first))
        if has_broadcast(network) and network.num_addresses > 2:
            spans.append((last, last))
        if gateway:
            spans.append((int(ipaddress.ip_address(gateway)),) * 2)
        spans += [parse_range(text, network) for text in reserved]
        merged: list[tuple[int, int]] = []
        for lo, hi in sorted(spans):
            if merged and lo <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
            else:
                merged.append((lo, hi))
        return cls(first, last, merged)

    @property
    def capacity(self) -> int:
        return (self.last - self.first + 1) - sum(hi - lo + 1 for lo, hi in self.excluded)

    def is_excluded(self, number: int) -> bool:
        index = bisect.bisect_right(self.excluded, (number, float("inf"))) - 1
        return index >= 0 and self.excluded[index][0] <= number <= self.excluded[index][1]

    def next_usable(self, number: int) -> int | None:
        """The smallest usable number ≥ ``number`` (None past the end)."""
        number = max(number, self.first)
        index = bisect.bisect_right(self.excluded, (number, float("inf"))) - 1
        if index >= 0 and self.excluded[index][0] <= number <= self.excluded[index][1]:
            number = self.excluded[index][1] + 1
        return number if number <= self.last else None
