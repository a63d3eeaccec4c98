from portal.tokens import create_integration_client
from tests.tenant_isolation import register_collection

register_collection(
    "integration-clients",
    lambda tenant: create_integration_client(tenant, "isolation probe").client,
    "/api/v2/auth/clients/",
    methods=("GET", "DELETE"),
)
