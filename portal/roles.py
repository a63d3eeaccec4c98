"""The permission map: which role may view/change what and run which device action.

One table for the whole portal. Views and API endpoints name a permission
(``"devices.view"``, ``"devices.action.factory"``) and the tenant gate asks
:func:`role_can`; nothing checks a role by name anywhere else. Later
features add rows here rather than checks around it.

Permission names are ``<area>.<verb>`` or ``devices.action.<kind>`` where
kind is one of Krill's action names (reboot, factory, reconfig, reprovision,
unprovision, diagnostic).
"""

from __future__ import annotations

from .choices import Role

AREAS = ("subscribers", "devices", "billing", "tickets", "tenant")
DEVICE_ACTIONS = ("reboot", "factory", "reconfig", "reprovision", "unprovision", "diagnostic")


def _view(*areas: str) -> set[str]:
    return {f"{a}.view" for a in areas}


def _change(*areas: str) -> set[str]:
    return {f"{a}.change" for a in areas}


def _actions(*kinds: str) -> set[str]:
    return {f"devices.action.{k}" for k in kinds}


PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(_view(*AREAS) | _change(*AREAS) | _actions(*DEVICE_ACTIONS)),
    # NOC runs the network: every device action, subscribers and devices
    # editable, tickets workable; billing visible but not theirs to change.
    Role.NOC: frozenset(
        _view("subscribers", "devices", "billing", "tickets")
        | _change("subscribers", "devices", "tickets")
        | _actions(*DEVICE_ACTIONS)
    ),
    # Support helps a subscriber on the phone: safe, reversible actions only
    # (never a factory reset or taking services off a device).
    Role.SUPPORT: frozenset(
        _view("subscribers", "devices", "billing", "tickets")
        | _change("tickets")
        | _actions("reboot", "reconfig", "diagnostic")
    ),
    # Billing handles money and the subscriber's account, never devices.
    Role.BILLING: frozenset(_view("subscribers", "billing", "tickets") | _change("subscribers", "billing")),
    Role.READONLY: frozenset(_view("subscribers", "devices", "billing", "tickets")),
}


def role_can(role: str | None, permission: str) -> bool:
    """True if ``role`` grants ``permission``. Unknown roles grant nothing."""
    if not role:
        return False
    return permission in PERMISSIONS.get(role, frozenset())


def allowed_actions(role: str | None) -> list[str]:
    """Device actions the role may run, in Krill's order (for buttons)."""
    return [k for k in DEVICE_ACTIONS if role_can(role, f"devices.action.{k}")]
