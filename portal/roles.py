"""The permission map: which role may view/change what and run which device action.

One table for the whole portal. Views and API endpoints name a permission
(``"devices.view"``, ``"devices.action.factory"``) and the tenant gate asks
:func:`role_can`; nothing checks a role by name anywhere else. Later
features add rows here rather than checks around it.

Permission names are ``<area>.<verb>`` or ``devices.action.<kind>`` where
kind is one of Krill's action names (reboot, factory, reconfig, reprovision,
unprovision, diagnostic). The portal does not know the device actions
itself (portal never imports devices): the devices app registers each kind
with the roles that may run it (:func:`register_device_action`, from its
record of action kinds, when the app is ready).
"""

from __future__ import annotations

from collections.abc import Iterable

from .choices import Role

AREAS = ("subscribers", "devices", "billing", "tickets", "tenant", "ipam")

# Registered device action kinds, in Krill's order (the order of the buttons).
DEVICE_ACTIONS: list[str] = []


def _view(*areas: str) -> set[str]:
    return {f"{a}.view" for a in areas}


def _change(*areas: str) -> set[str]:
    return {f"{a}.change" for a in areas}


# Device action permissions are added to these by register_device_action.
PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(_view(*AREAS) | _change(*AREAS)),
    # NOC runs the network: subscribers and devices editable, tickets
    # workable; billing visible but not theirs to change.
    Role.NOC: frozenset(
        _view("subscribers", "devices", "billing", "tickets", "ipam")
        | _change("subscribers", "devices", "tickets", "ipam")
    ),
    # Support helps a subscriber on the phone: they see everything but change only tickets.
    Role.SUPPORT: frozenset(_view("subscribers", "devices", "billing", "tickets", "ipam") | _change("tickets")),
    # Billing handles money and the subscriber's account, never devices.
    Role.BILLING: frozenset(_view("subscribers", "billing", "tickets", "ipam") | _change("subscribers", "billing")),
    Role.READONLY: frozenset(_view("subscribers", "devices", "billing", "tickets", "ipam")),
}


def action_permission(kind: str) -> str:
    return f"devices.action.{kind}"


def register_device_action(kind: str, roles: Iterable[str]) -> None:
    """Grant ``devices.action.<kind>`` to exactly ``roles`` (registering the same kind again replaces it)."""
    if kind not in DEVICE_ACTIONS:
        DEVICE_ACTIONS.append(kind)
    permission = action_permission(kind)
    allowed = set(roles)
    for role, granted in PERMISSIONS.items():
        PERMISSIONS[role] = granted | {permission} if role in allowed else granted - {permission}


def role_can(role: str | None, permission: str) -> bool:
    """True if ``role`` grants ``permission``. Unknown roles grant nothing."""
    if not role:
        return False
    return permission in PERMISSIONS.get(role, frozenset())


def allowed_actions(role: str | None) -> list[str]:
    """Device actions the role may run, in Krill's order (for buttons)."""
    return [k for k in DEVICE_ACTIONS if role_can(role, action_permission(k))]
