from portal.tokens import create_integration_client
from tests.tenant_isolation import IsolatedResource, register

register(
    IsolatedResource(
        name="integration-clients",
        create=lambda tenant: create_integration_client(tenant, "isolation probe").client,
        list_url="/api/v2/auth/clients/",
        detail_url=lambda row: f"/api/v2/auth/clients/{row.pk}/",
        methods=("GET", "DELETE"),
    )
)
