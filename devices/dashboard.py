"""Dashboard tiles of the devices app (registered in DevicesConfig.ready)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count

from portal.dashboard import Tile

from .choices import DeviceFamily
from .models import Cpe


def device_tiles(tenant, role: str) -> Iterable[Tile]:
    counts = dict(Cpe.objects.for_tenant(tenant).values_list("model__family").annotate(n=Count("id")).order_by())
    for family in DeviceFamily:
        yield Tile(
            f"devices_{family.value}",
            family.label,
            counts.get(family.value, 0),
            url=f"/devices/?family={family.value}",
            group="Devices",
        )
