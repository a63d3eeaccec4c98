"""ISPChamp v1 subscriber resources for the tenant-isolation walk."""

from __future__ import annotations

from tests.billing.helpers import make_subscriber
from tests.tenant_isolation import register_collection

register_collection(
    "v1-subscribers",
    lambda tenant: make_subscriber(tenant, name="Isolation"),
    "/api/v1/subscribers",
    write_payload={"city": "Elsewhere"},
    methods=("GET", "PATCH", "DELETE"),
    row_actions=("suspend", "activate"),
)
