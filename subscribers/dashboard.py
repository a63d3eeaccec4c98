"""Dashboard tiles of the subscribers app (registered in SubscribersConfig.ready)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count

from portal.dashboard import Tile

from .choices import SubscriberStatus
from .models import Subscriber


def subscriber_tiles(tenant, role: str) -> Iterable[Tile]:
    counts = dict(Subscriber.objects.for_tenant(tenant).values_list("status").annotate(n=Count("id")).order_by())
    yield Tile(
        "subscribers_active",
        "Active subscribers",
        counts.get(SubscriberStatus.ACTIVE, 0),
        url=f"/subscribers/?status={SubscriberStatus.ACTIVE}",
        tone="success",
        group="Subscribers",
    )
    suspended = counts.get(SubscriberStatus.SUSPENDED, 0)
    yield Tile(
        "subscribers_suspended",
        "Suspended subscribers",
        suspended,
        url=f"/subscribers/?status={SubscriberStatus.SUSPENDED}",
        tone="warning" if suspended else "secondary",
        group="Subscribers",
    )
