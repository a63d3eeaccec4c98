"""Business operations on Krill customers (subscribers) and POTS lines, used by the v2 API.

Service-status changes and tickets live in ``subscribers/operations.py``.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max

from portal.models import Tenant

from .models import PotsLine, Subscriber


def create_subscriber(*, tenant: Tenant, data: dict[str, Any]) -> Subscriber:
    return Subscriber.objects.create(tenant=tenant, **data)


def update_subscriber(subscriber: Subscriber, data: dict[str, Any]) -> Subscriber:
    for name, value in data.items():
        setattr(subscriber, name, value)
    subscriber.save()
    return subscriber


def next_pots_order(cpe) -> int:
    """The first free port/account number on a CPE (Krill numbers lines from 1)."""
    highest = PotsLine.objects.filter(cpe=cpe).aggregate(m=Max("order"))["m"]
    return (highest or 0) + 1


def generated_lineid(cpename: str, order: int) -> str:
    """Krill's line id when none is given: ``<cpename>-<order>`` (e.g. ``pim0074-2``)."""
    return f"{cpename}-{order}"


@transaction.atomic
def create_pots_line(*, tenant: Tenant, data: dict[str, Any]) -> PotsLine:
    data = dict(data)
    cpe = data["cpe"]
    if not data.get("order"):
        data["order"] = next_pots_order(cpe)
    if not data.get("lineid"):
        data["lineid"] = generated_lineid(cpe.cpename or str(cpe.pk), data["order"])
    return PotsLine.objects.create(tenant=tenant, **data)


def update_pots_line(line: PotsLine, data: dict[str, Any]) -> PotsLine:
    for name, value in data.items():
        setattr(line, name, value)
    if not line.lineid:
        line.lineid = generated_lineid(line.cpe.cpename or str(line.cpe_id), line.order)
    line.save()
    return line
