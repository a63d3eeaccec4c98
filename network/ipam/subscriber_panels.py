"""What IPAM adds to the subscriber page: the subscriber's addresses (and an "Allocate" link for NOC)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from subscribers.models import Subscriber
from subscribers.panels import Panel, can

from .selectors import subscriber_allocations

TEMPLATE = "ipam/subscriber_panels.html"


def _addresses(subscriber: Subscriber, request: HttpRequest) -> dict[str, Any]:
    return {"allocations": list(subscriber_allocations(subscriber)[:20]), "can_allocate": can(request, "ipam.change")}


PANELS = (Panel("ip-addresses", "IP addresses", f"{TEMPLATE}#addresses", _addresses, "side", 40, "ipam.view"),)
