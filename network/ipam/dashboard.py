"""Dashboard tiles of IPAM (registered in IpamConfig.ready): address use, and an alert per pool over its threshold."""

from __future__ import annotations

from collections.abc import Iterable

from portal.dashboard import Tile

from .models import Pool
from .selectors import pool_use, pools_with_use


def ipam_tiles(tenant, role: str) -> Iterable[Tile]:
    pools = list(pools_with_use(Pool.objects.for_tenant(tenant)))
    if not pools:
        return
    over = [(pool, use) for pool in pools if (use := pool_use(pool)).over(pool.alert_threshold)]
    yield Tile(
        "ipam_pools_over",
        "Pools over threshold",
        len(over),
        url="/ipam/",
        tone="danger" if over else "success",
        hint=", ".join(f"{p.name} {u.percent} %" for p, u in over) or f"{len(pools)} pools below their alert level",
        group="IPAM",
    )
    for pool, use in over:
        yield Tile(
            f"ipam_pool_{pool.pk}",
            f"{pool.name} nearly exhausted",
            f"{use.percent} %",
            url=f"/ipam/?purpose={pool.purpose}",
            tone="danger",
            hint=f"{use.free} of {use.capacity} addresses free (alert at {pool.alert_threshold} %)",
            group="IPAM",
        )
