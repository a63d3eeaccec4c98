"""Panels of the subscriber page: a registry the apps above subscribers add to.

subscribers sits below billing, support and devices and never imports them;
each of those apps registers its panels in its ``AppConfig.ready()`` (as
they register dashboard tiles with ``portal.dashboard.register``) and the
subscriber page renders whatever is registered, column by column, by
``order``. A panel's ``context(subscriber, request)`` returns what its
template needs; the template sees it as ``panel.data``, next to
``subscriber``.

Columns: ``actions`` are the page header's buttons, ``side`` the narrow
left column, ``main`` the wide one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

from portal.roles import role_can

from .forms import SubscriberStatusForm
from .models import PotsLine, ServiceEvent, Subscriber

PanelContext = Callable[[Subscriber, HttpRequest], dict[str, Any]]
COLUMNS = ("actions", "side", "main")


@dataclass(frozen=True)
class Panel:
    name: str  # the card's html id; a refresh URL finds the panel by it
    title: str
    template: str
    context: PanelContext
    column: str = "main"
    order: int = 100
    permission: str | None = None  # the role permission needed to see it; None: whoever sees the page

    def allowed(self, role: str) -> bool:
        return self.permission is None or role_can(role, self.permission)

    def bind(self, subscriber: Subscriber, request: HttpRequest) -> BoundPanel:
        return BoundPanel(self, self.context(subscriber, request))


@dataclass(frozen=True)
class BoundPanel:
    """A panel with its data for one subscriber, ready for its template."""

    panel: Panel
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.panel.name

    @property
    def title(self) -> str:
        return self.panel.title

    @property
    def template(self) -> str:
        return self.panel.template


_PANELS: dict[str, Panel] = {}


def register(panel: Panel) -> None:
    """Add a panel (once: a second registration under the same name is ignored, like dashboard tiles)."""
    if panel.column not in COLUMNS:
        raise ValueError(f"Panel {panel.name!r}: column must be one of {COLUMNS}.")
    _PANELS.setdefault(panel.name, panel)


def get_panel(name: str) -> Panel | None:
    return _PANELS.get(name)


def all_panels() -> list[Panel]:
    """Every registered panel in display order (each column keeps this order)."""
    return sorted(_PANELS.values(), key=lambda p: (p.order, p.name))


def subscriber_panels(subscriber: Subscriber, request: HttpRequest, role: str) -> dict[str, list[BoundPanel]]:
    """The panels the role may see, bound to the subscriber, per column in display order."""
    columns: dict[str, list[BoundPanel]] = {column: [] for column in COLUMNS}
    for panel in all_panels():
        if panel.allowed(role):
            columns[panel.column].append(panel.bind(subscriber, request))
    return columns


def can(request: HttpRequest, permission: str) -> bool:
    """Whether the viewer's role in the active tenant allows ``permission`` (for buttons inside a panel)."""
    return role_can(request.tenant_context.role, permission)


# --- the subscribers app's own panels (registered in SubscribersConfig.ready) ---


def _service(subscriber: Subscriber, request: HttpRequest) -> dict[str, Any]:
    return {
        "status_form": SubscriberStatusForm(),
        "can_change_status": can(request, "subscribers.change"),
        "service_events": ServiceEvent.objects.for_tenant(subscriber.tenant_id)
        .filter(subscriber=subscriber)
        .select_related("triggered_by")[:8],
    }


def _pots(subscriber: Subscriber, request: HttpRequest) -> dict[str, Any]:
    lines = PotsLine.objects.for_tenant(subscriber.tenant_id).filter(cpe__customer=subscriber)
    # The line's device is a device detail: like the CPE panel, only for roles with devices.view (not billing).
    show_device = can(request, "devices.view")
    return {"pots_lines": lines.select_related("cpe") if show_device else lines, "show_device": show_device}


PANELS = (
    Panel("contact", "Contact", "subscribers/subscriber_detail.html#contact", lambda s, r: {}, "side", 10),
    Panel("service-status", "Service", "subscribers/subscriber_detail.html#service", _service, "side", 30),
    Panel("pots", "Phone lines (POTS)", "subscribers/subscriber_detail.html#pots", _pots, "main", 20),
)
