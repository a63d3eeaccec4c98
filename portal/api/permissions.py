"""The tenant gate's permission class (kept apart from the view mixins).

DRF imports DEFAULT_PERMISSION_CLASSES while ``rest_framework.views`` is
still loading, so this module must not import DRF's views or viewsets.
See portal.api.gate for the whole gate.
"""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission

from portal.roles import role_can
from portal.tenancy import (
    TENANT_HEADER,
    TenantDenied,
    TenantRequired,
    resolve_for_client,
    resolve_for_user,
)


class TenantHeaderRequired(exceptions.APIException):
    status_code = 400
    default_code = "tenant_required"
    default_detail = f"The {TENANT_HEADER} header is required."


def resolve_api_tenant(request, *, header_required: bool = False):
    """Resolve (and cache on the request) the tenant of an authenticated API call."""
    cached = getattr(request, "_api_tenant_context", None)
    if cached is not None:
        return cached
    requested = request.headers.get(TENANT_HEADER)
    token = request.auth
    client = getattr(getattr(token, "application", None), "integration_client", None) if token else None
    try:
        if client is not None:
            if header_required and not requested:
                raise TenantRequired(f"The {TENANT_HEADER} header is required (tenant slug or id).")
            context = resolve_for_client(client, requested)
        else:
            context = resolve_for_user(request.user, requested, required=header_required)
    except TenantRequired as exc:
        raise TenantHeaderRequired(str(exc)) from exc
    except TenantDenied as exc:
        raise exceptions.PermissionDenied(str(exc)) from exc
    request._api_tenant_context = context
    request.tenant = context.tenant
    request.role = context.role
    # Pages and API read the same attribute.
    request._request.tenant_context = context
    return context


def token_scopes(request) -> set[str]:
    token = request.auth
    return set(getattr(token, "scope", "").split()) if token is not None else set()


class TenantGate(BasePermission):
    """Authenticated + member of the tenant + token scope + role permission."""

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False  # → 401 with WWW-Authenticate (BearerAuthentication)
        if not getattr(view, "tenant_scoped", True):
            return True
        context = resolve_api_tenant(request, header_required=getattr(view, "tenant_header_required", False))
        scopes = token_scopes(request)
        if request.method in SAFE_METHODS:
            if "read" not in scopes:
                raise exceptions.PermissionDenied("This token has no read scope.")
        elif "write" not in scopes:
            raise exceptions.PermissionDenied("This token is read-only; writes need the 'write' scope.")
        permission = view.required_permission(request) if hasattr(view, "required_permission") else None
        if permission and not role_can(context.role, permission):
            raise exceptions.PermissionDenied(f"Your role ({context.role}) does not allow {permission}.")
        return True
