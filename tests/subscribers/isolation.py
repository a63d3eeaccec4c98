"""Tenant isolation of the Krill customers and POTS lines."""

from tests.devices.factories import PotsLineFactory, SubscriberFactory
from tests.tenant_isolation import register_collection

register_collection(
    "krill-customers",
    lambda tenant: SubscriberFactory(tenant=tenant),
    "/api/v2/isp/customers/",
    write_payload={"name": "Hijacked"},
)
register_collection(
    "krill-potses",
    lambda tenant: PotsLineFactory(tenant=tenant),
    "/api/v2/isp/potses/",
    write_payload={"label": "hijacked"},
)
