"""Bulk-load the device-pages benchmark data into the database of ``DATABASE_URL`` (run as a module).

``python -m tests.perf.device_pages_load 100000`` reuses the Krill loader
(tests/perf/krill_load.py: tenant "perf", N subscribers and CPEs) and adds
what the device pages show: a live state for every CPE (a few percent
offline), open alerts on ~1% of them, a day of 30 s samples for one ONT and
one cellular router, and a few thousand device actions. Then it signs the
NOC user in (a database session) and prints one JSON line: the session
cookie, the CPE ids with history, a subscriber surname and a serial to search.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, transaction
from django.utils import timezone

from devices.choices import ActionKind, ActionStatus, Tech
from tests.perf.krill_load import main as load_cpes


def main(count: int) -> dict:
    base = load_cpes(count)  # sets Django up
    # Models need the app registry that load_cpes() filled (django.setup()): imported only now.
    from devices.models import Alert, Cpe, DeviceAction, DeviceSample, DeviceState  # noqa: PLC0415
    from portal.models import Tenant  # noqa: PLC0415

    started = time.perf_counter()
    tenant = Tenant.objects.get(slug="perf")
    now = timezone.now()
    cpes = Cpe.objects.for_tenant(tenant)
    ont = cpes.filter(tech=Tech.GPON).order_by("id").first()
    router = cpes.filter(tech=Tech.LTE).order_by("id").first()
    if not DeviceState.objects.for_tenant(tenant).exists():
        ids = list(cpes.order_by("id").values_list("id", "tech"))
        for start in range(0, len(ids), 10_000):
            with transaction.atomic():
                DeviceState.objects.bulk_create(
                    [
                        DeviceState(
                            tenant=tenant,
                            cpe_id=pk,
                            online=pk % 37 != 0,
                            last_polled=now,
                            last_seen=now,
                            uptime_s=86_400 + pk,
                            firmware="V3.2.51",
                            rx_dbm=-18.0 - (pk % 90) / 10 if tech == Tech.GPON else None,
                            tx_dbm=2.1 if tech == Tech.GPON else None,
                            rsrp=-85.0 - pk % 30 if tech == Tech.LTE else None,
                            sinr=12.0 if tech == Tech.LTE else None,
                            client_count=pk % 7,
                            output="UP - benchmark",
                        )
                        for pk, tech in ids[start : start + 10_000]
                    ]
                )
        with transaction.atomic():
            Alert.objects.bulk_create(
                [
                    Alert(tenant=tenant, cpe_id=pk, kind="offline", severity="critical", opened=now, message="down")
                    for pk, _ in ids
                    if pk % 97 == 0
                ]
            )
            day = [now - timedelta(seconds=30 * i) for i in range(2880)]
            DeviceSample.objects.bulk_create(
                [DeviceSample(cpe=ont, at=at, rx_dbm=-20.0 - (i % 50) / 10, tx_dbm=2.0) for i, at in enumerate(day)]
                + [DeviceSample(cpe=router, at=at, rsrp=-90.0 - i % 15, sinr=10.0 + i % 5) for i, at in enumerate(day)],
                batch_size=5000,
            )
            DeviceAction.objects.bulk_create(
                [
                    DeviceAction(
                        tenant=tenant,
                        cpe_id=pk,
                        kind=ActionKind.REBOOT,
                        status=ActionStatus.SUCCEEDED,
                        source="api",
                        finished=now,
                    )
                    for pk, _ in ids[:5000]
                ],
                batch_size=5000,
            )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "ANALYZE devices_devicestate; ANALYZE devices_alert; ANALYZE devices_devicesample; "
                    "ANALYZE devices_deviceaction"
                )
    user = get_user_model().objects.get(username="perf-noc")
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    # The backend that loads users (axes only guards logins).
    session[BACKEND_SESSION_KEY] = next(b for b in settings.AUTHENTICATION_BACKENDS if "ModelBackend" in b)
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return {
        "cpes": base["cpes"],
        "loaded": base["loaded"],
        "cookie": {settings.SESSION_COOKIE_NAME: session.session_key},
        "ont": ont.pk,
        "router": router.pk,
        "serial": base["sns"][0],
        "surname": "Surname123",
        "seconds": round(base["seconds"] + time.perf_counter() - started, 1),
    }


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)))
