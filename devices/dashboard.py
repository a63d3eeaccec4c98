"""Dashboard tiles of the devices app (registered in DevicesConfig.ready)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from portal.dashboard import Tile

from .choices import ActionStatus, DeviceFamily
from .models import Alert, Cpe, DeviceAction, DeviceState


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


def monitoring_tiles(tenant, role: str) -> Iterable[Tile]:
    """Live polling at a glance: up/down per vendor family and the open alerts (two queries)."""
    counts: dict[tuple[str, bool | None], int] = {
        (family, online): n
        for family, online, n in DeviceState.objects.for_tenant(tenant)
        .filter(cpe__active=True)  # a deactivated CPE is no longer polled: its last state is stale
        .values_list("cpe__model__family", "online")
        .annotate(n=Count("pk"))
        .order_by()
    }
    for family in DeviceFamily:
        up, down = counts.get((family.value, True), 0), counts.get((family.value, False), 0)
        yield Tile(
            f"online_{family.value}",
            f"{family.label}: up / down",
            f"{up} / {down}",
            url=f"/devices/?family={family.value}&status=offline" if down else f"/devices/?family={family.value}",
            tone="danger" if down else "success" if up else "secondary",
            hint="from the latest poll round",
            group="Live status",
        )
    alerts = dict(
        Alert.objects.for_tenant(tenant)
        .filter(closed__isnull=True)
        .values_list("severity")
        .annotate(n=Count("pk"))
        .order_by()
    )
    total = sum(alerts.values())
    yield Tile(
        "alerts_open",
        "Open alerts",
        total,
        url="/devices/alerts/",
        tone="danger" if alerts.get("critical") else "warning" if total else "success",
        hint=f"{alerts.get('critical', 0)} critical" if total else "",
        group="Live status",
    )


def action_tiles(tenant, role: str) -> Iterable[Tile]:
    """Device actions: running now, and failed in the last hour (one query)."""

    hour_ago = timezone.now() - timedelta(hours=1)
    counts = DeviceAction.objects.for_tenant(tenant).aggregate(
        running=Count("id", filter=Q(status=ActionStatus.RUNNING)),
        failed=Count("id", filter=Q(status=ActionStatus.FAILED, finished__gte=hour_ago)),
    )
    yield Tile(
        "actions_running",
        "Actions running",
        counts["running"],
        url="/devices/actions/?status=running",
        tone="info" if counts["running"] else "secondary",
        group="Device actions",
    )
    yield Tile(
        "actions_failed_hour",
        "Actions failed (last hour)",
        counts["failed"],
        url="/devices/actions/?status=failed&since=60",
        tone="danger" if counts["failed"] else "success",
        group="Device actions",
    )
