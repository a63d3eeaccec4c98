"""Bulk-load the Krill benchmark data set into the database of ``DATABASE_URL`` (run as a module).

``python -m tests.perf.krill_load 100000`` creates (once; a second run only
checks) tenant "perf" with N subscribers, N CPEs (one each, HALNy, Peplink
and Fanvil models of the catalogue) and a POTS line on every third CPE, via
``bulk_create`` in large batches, plus an API user; prints one JSON line:
the user's bearer token, the tenant slug and a sample of serial numbers.
"""

from __future__ import annotations

import json
import os
import sys
import time

import django
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from portal.choices import Role


def main(count: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()
    # These load models, which need the app registry that django.setup() just filled: imported only now.
    from devices.models import Cpe  # noqa: PLC0415
    from devices.services import ensure_catalogue  # noqa: PLC0415
    from portal.models import Membership, Tenant  # noqa: PLC0415
    from portal.tokens import issue_user_tokens  # noqa: PLC0415
    from subscribers.models import PotsLine, Subscriber  # noqa: PLC0415

    started = time.perf_counter()
    tenant, _ = Tenant.objects.get_or_create(slug="perf", defaults={"name": "Perf ISP", "realm": "prf"})
    catalogue = list(ensure_catalogue().values())
    have = Cpe.objects.for_tenant(tenant).count()
    batch = 5000
    if have < count:
        with transaction.atomic():
            Cpe.objects.for_tenant(tenant).delete()
            PotsLine.objects.for_tenant(tenant).delete()
            Subscriber.objects.for_tenant(tenant).delete()
        for start in range(0, count, batch):
            stop = min(start + batch, count)
            with transaction.atomic():
                subscribers = Subscriber.objects.bulk_create(
                    [
                        Subscriber(
                            tenant=tenant,
                            name=f"Name{i}",
                            surname=f"Surname{i % 997}",
                            address=f"ul. Długa {i % 200 + 1}",
                            city="Kraków",
                            country="Poland",
                            postalcode=f"30-{i % 1000:03d}",
                            external_id=f"PERF-{i:07d}",
                        )
                        for i in range(start, stop)
                    ]
                )
                cpes = Cpe.objects.bulk_create(
                    [
                        Cpe(
                            tenant=tenant,
                            sn=f"PERF{i:08X}",
                            cpename=f"prf{i:07d}",
                            internal_id=f"prf{i:07d}",
                            model=catalogue[i % len(catalogue)],
                            tech=catalogue[i % len(catalogue)].tech,
                            customer=subscriber,
                            mac=f"E0:67:B3:{(i >> 16) & 255:02X}:{(i >> 8) & 255:02X}:{i & 255:02X}",
                            city="Kraków",
                            topology=f"OLT{i % 8}/PON{i % 16}",
                        )
                        for i, subscriber in zip(range(start, stop), subscribers, strict=True)
                    ]
                )
                PotsLine.objects.bulk_create(
                    [
                        PotsLine(tenant=tenant, cpe=cpe, order=1, lineid=f"{cpe.cpename}-1", cli=f"+48 12 {i:07d}")
                        for i, cpe in zip(range(start, stop), cpes, strict=True)
                        if i % 3 == 0
                    ]
                )

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE devices_cpe; ANALYZE subscribers_subscriber; ANALYZE subscribers_potsline")
    user, _ = get_user_model().objects.get_or_create(username="perf-noc")
    Membership.objects.get_or_create(user=user, tenant=tenant, defaults={"role": Role.NOC})
    token = issue_user_tokens(user).access
    sample = list(
        Cpe.objects.for_tenant(tenant).order_by("?").values_list("sn", flat=True)[:500]
        if connection.vendor == "postgresql"
        else Cpe.objects.for_tenant(tenant).values_list("sn", flat=True)[:500]
    )
    return {
        "token": token,
        "tenant": tenant.slug,
        "sns": sample,
        "cpes": Cpe.objects.for_tenant(tenant).count(),
        "subscribers": Subscriber.objects.for_tenant(tenant).count(),
        "potses": PotsLine.objects.for_tenant(tenant).count(),
        "loaded": have < count,
        "seconds": round(time.perf_counter() - started, 1),
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)))
