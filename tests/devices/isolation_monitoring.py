"""Tenant isolation of Krill's /api/v2/monitoring: hosts (search, info, history) and alerts.

The CPE live links (/api/v2/cpes/<id>/info, /livestatus) are walked with the
other CPE links in tests/devices/isolation.py.
"""

from django.utils import timezone

from devices.models import Alert, AlertKind, DeviceSample, DeviceState
from tests.devices.factories import CpeFactory
from tests.tenant_isolation import IsolatedResource, register, register_collection


def _monitored_cpe(tenant):
    cpe = CpeFactory(tenant=tenant)
    now = timezone.now()
    DeviceState.objects.create(tenant=tenant, cpe=cpe, online=True, last_polled=now, rx_dbm=-20.0)
    DeviceSample.objects.create(cpe=cpe, at=now, rx_dbm=-20.0)
    return cpe


def _alert(tenant):
    cpe = _monitored_cpe(tenant)
    return Alert.objects.create(
        tenant=tenant, cpe=cpe, kind=AlertKind.OFFLINE, severity="critical", opened=timezone.now(), message="down"
    )


register(
    IsolatedResource(
        name="monitoring-hosts",
        create=_monitored_cpe,
        list_url="/api/v2/monitoring/search/",
        detail_url=lambda row: f"/api/v2/monitoring/cpes/{row.pk}/info",
        methods=("GET",),
        extra_urls=(
            lambda row: f"/api/v2/monitoring/cpes/{row.pk}/history?metric=rx_power",
            lambda row: f"/api/v2/monitoring/cpes/{row.pk}/info/",
        ),
    )
)

register_collection("monitoring-alerts", _alert, "/api/v2/monitoring/alerts/", methods=("GET",))
