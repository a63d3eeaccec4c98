"""ISPChamp v1 support tickets (and their comments) for the tenant-isolation walk."""

from __future__ import annotations

from support.models import Ticket
from tests.billing.helpers import make_subscriber
from tests.tenant_isolation import IsolatedResource, register

register(
    IsolatedResource(
        name="v1-tickets",
        create=lambda tenant: Ticket.objects.create(
            tenant=tenant, subject="Isolation", subscriber=make_subscriber(tenant, name="Isolation")
        ),
        list_url="/api/v1/support/tickets",
        detail_url=lambda row: f"/api/v1/support/tickets/{row.pk}",
        write_payload={"status": "closed"},
        methods=("GET", "PATCH"),
        extra_urls=(lambda row: f"/api/v1/support/tickets/{row.pk}/comments",),
    )
)
