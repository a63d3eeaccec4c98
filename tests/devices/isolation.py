"""Tenant isolation of the Krill CPEs and every CPE link sub-resource (both URL prefixes)."""

from devices.api.cpes import CPE_ACTIONS, CPE_LINKS
from tests.devices.factories import CpeFactory, ServiceProfileFactory
from tests.tenant_isolation import register_collection


def _cpe(tenant):
    return CpeFactory(tenant=tenant, profile=ServiceProfileFactory(tenant=tenant))


_SEGMENTS = sorted({path.split("?")[0] for path in [*CPE_LINKS.values(), *CPE_ACTIONS.values()]})

register_collection(
    "krill-cpes",
    _cpe,
    "/api/v2/isp/cpes/",
    write_payload={"notes": "hijacked"},
    extra_urls=tuple(
        (lambda row, prefix=prefix, seg=seg: f"{prefix}{row.pk}/{seg}")
        for prefix in ("/api/v2/isp/cpes/", "/api/v2/cpes/")
        for seg in _SEGMENTS
    ),
)
