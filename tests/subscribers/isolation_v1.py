"""ISPChamp v1 subscriber resources for the tenant-isolation walk."""

from __future__ import annotations

from tests.billing.helpers import make_subscriber
from tests.tenant_isolation import IsolatedResource, register

register(
    IsolatedResource(
        name="v1-subscribers",
        create=lambda tenant: make_subscriber(tenant, name="Isolation"),
        list_url="/api/v1/subscribers",
        detail_url=lambda row: f"/api/v1/subscribers/{row.pk}",
        write_payload={"city": "Elsewhere"},
        methods=("GET", "PATCH", "DELETE"),
        action_urls=(
            lambda row: f"/api/v1/subscribers/{row.pk}/suspend",
            lambda row: f"/api/v1/subscribers/{row.pk}/activate",
        ),
    )
)
