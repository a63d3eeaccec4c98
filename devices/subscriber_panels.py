"""What devices adds to the subscriber page: the subscriber's CPEs with their live state.

The panel refreshes itself every 30 s through ``/subscribers/<id>/cpes/``
(``subscribers.views.SubscriberPanelView`` renders it by name).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from subscribers.models import Subscriber
from subscribers.panels import Panel

from .models import Cpe


def _cpes(subscriber: Subscriber, request: HttpRequest) -> dict[str, Any]:
    # The live state is a one-to-one row written by the poller: one join, no N+1.
    cpes = (
        Cpe.objects.for_tenant(subscriber.tenant_id)
        .filter(customer=subscriber)
        .select_related("model", "state")
        .order_by("id")
    )
    return {"cpes": cpes}


# Serials and live state are device details: a role without devices.view (billing) does not get the panel,
# exactly as the API refuses it joins=cpes.
PANELS = (Panel("cpes", "Devices (CPEs)", "devices/subscriber_panels.html#cpes", _cpes, "main", 10, "devices.view"),)
