"""Tenant isolation of the Krill customers and POTS lines."""

from tests.devices.factories import PotsLineFactory, SubscriberFactory
from tests.tenant_isolation import IsolatedResource, register

register(
    IsolatedResource(
        name="krill-customers",
        create=lambda tenant: SubscriberFactory(tenant=tenant),
        list_url="/api/v2/isp/customers/",
        detail_url=lambda row: f"/api/v2/isp/customers/{row.pk}/",
        write_payload={"name": "Hijacked"},
    )
)
register(
    IsolatedResource(
        name="krill-potses",
        create=lambda tenant: PotsLineFactory(tenant=tenant),
        list_url="/api/v2/isp/potses/",
        detail_url=lambda row: f"/api/v2/isp/potses/{row.pk}/",
        write_payload={"label": "hijacked"},
    )
)
