"""Template context every page needs: the active tenant, the switcher, the role."""

from __future__ import annotations

from .roles import allowed_actions, role_can


def portal(request) -> dict:
    context = getattr(request, "tenant_context", None)
    if not getattr(request, "user", None) or not request.user.is_authenticated or not context:
        return {"active_tenant": None, "tenant_memberships": [], "active_role": None}
    memberships = getattr(request, "_tenant_memberships", None) or []
    role = context.role

    class _Can:
        """``{% if can.devices.change %}`` in templates, backed by the role map."""

        def __getattr__(self, area):
            return _Area(area)

    class _Area:
        def __init__(self, area):
            self.area = area

        def __getattr__(self, verb):
            return role_can(role, f"{self.area}.{verb}")

    return {
        "active_tenant": context.tenant,
        "active_role": role,
        "tenant_memberships": memberships,
        "can": _Can(),
        "allowed_device_actions": allowed_actions(role),
    }
