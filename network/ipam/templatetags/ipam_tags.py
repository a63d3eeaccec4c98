"""Template filters of the IPAM pages."""

from __future__ import annotations

import math

from django import template

register = template.Library()

# Beyond an IPv4 /0, exact counts are noise to a NOC (an IPv6 /64 is 18446744073709551615 usable addresses).
EXACT_UP_TO = 2**32


@register.filter
def address_count(value: int) -> str:
    """An address count as an operator reads it: exact up to IPv4 sizes, a power of two beyond ("≈ 2^64")."""
    if not isinstance(value, int) or value < EXACT_UP_TO:
        return str(value)
    return f"≈ 2^{round(math.log2(value))}"
