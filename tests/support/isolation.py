"""ISPChamp v1 support tickets (and their comments) for the tenant-isolation walk."""

from __future__ import annotations

from support.models import Ticket
from tests.billing.helpers import make_subscriber
from tests.tenant_isolation import register_collection

register_collection(
    "v1-tickets",
    lambda tenant: Ticket.objects.create(
        tenant=tenant, subject="Isolation", subscriber=make_subscriber(tenant, name="Isolation")
    ),
    "/api/v1/support/tickets",
    write_payload={"status": "closed"},
    methods=("GET", "PATCH"),
    subresources=("comments",),
)
