"""Dashboard tiles: live counts per tenant, contributed by each app.

An app registers a provider in its AppConfig.ready(); a provider takes the
tenant and the viewer's role and yields :class:`Tile` objects. The dashboard
renders whatever is registered, in registration order, so later features add
tiles without touching this module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from .models import IntegrationClient, Membership, WorkerHeartbeat
from .roles import role_can


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    value: int | str
    url: str = ""
    tone: str = "secondary"  # bootstrap/tabler colour: success, danger, warning...
    hint: str = ""
    group: str = "Portal"


Provider = Callable[[object, str], Iterable[Tile]]
_PROVIDERS: list[tuple[str, str | None, Provider]] = []


def register(key: str, provider: Provider, *, permission: str | None = None) -> None:
    if any(k == key for k, _, _ in _PROVIDERS):
        return
    _PROVIDERS.append((key, permission, provider))


def dashboard_tiles(tenant, role: str) -> list[Tile]:
    tiles: list[Tile] = []
    for _key, permission, provider in _PROVIDERS:
        if permission and not role_can(role, permission):
            continue
        tiles.extend(provider(tenant, role))
    return tiles


def portal_tiles(tenant, role: str) -> Iterable[Tile]:
    since = timezone.now() - timedelta(hours=24)
    yield Tile("members", "Team members", Membership.objects.filter(tenant=tenant).count(), group="Team")
    yield Tile("api_clients", "API integrations", IntegrationClient.objects.filter(tenant=tenant).count(), group="Team")
    yield Tile(
        "membership_changes",
        "Access changes (24 h)",
        Membership.history.filter(tenant_id=tenant.pk, history_date__gte=since).count(),
        group="Team",
        hint="memberships added, changed or removed",
    )


def worker_tiles(tenant, role: str) -> Iterable[Tile]:
    """Whether background workers are alive (device actions and polling depend on them)."""
    fresh = timezone.now() - timedelta(seconds=90)
    alive = WorkerHeartbeat.objects.filter(last_seen__gte=fresh).count()
    yield Tile(
        "workers",
        "Background workers alive",
        alive,
        tone="success" if alive else "danger",
        group="System",
        hint="heartbeat in the last 90 s" if alive else "no worker heartbeat: device actions will queue",
    )
