"""The tenant gate: the one place that decides who may touch which tenant's rows.

Every API view inherits :class:`TenantScopedMixin` (directly or through
:class:`TenantModelViewSet`). It resolves the tenant once per request
(``portal.tenancy``), checks the token's scope (read-only tokens cannot
write) and the caller's role against ``portal.roles``, and scopes every
queryset with ``Model.objects.for_tenant()`` — so another tenant's object
answers 404 exactly like a missing one.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

from rest_framework import viewsets
from rest_framework.permissions import SAFE_METHODS

from .errors import Conflict
from .permissions import TenantGate, TenantHeaderRequired, resolve_api_tenant

__all__ = [
    "TenantGate",
    "TenantHeaderRequired",
    "TenantModelViewSet",
    "TenantReadOnlyViewSet",
    "TenantScopedMixin",
    "WrittenByServicesMixin",
    "resolve_api_tenant",
]


class TenantScopedMixin:
    """Base of every tenant-owned API view.

    ``permission_area`` names the role-map area (``"subscribers"``): safe
    methods need ``<area>.view``, writes ``<area>.change``.
    ``action_permissions`` overrides per viewset action (``{"reboot":
    "devices.action.reboot"}``).
    """

    permission_area: str | None = None
    action_permissions: dict[str, str] = {}
    tenant_header_required = False
    tenant_scoped = True

    def required_permission(self, request) -> str | None:
        action = getattr(self, "action", None)
        if action and action in self.action_permissions:
            return self.action_permissions[action]
        if self.permission_area is None:
            return None
        verb = "view" if request.method in SAFE_METHODS else "change"
        return f"{self.permission_area}.{verb}"

    @property
    def tenant(self):
        return self.request.tenant

    def get_queryset(self):
        # ``queryset`` is a TenantQuerySet (TenantOwned.objects); views may add
        # select_related/annotations to it, the tenant filter is added here.
        return self.queryset.all().for_tenant(self.request.tenant)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["tenant"] = getattr(self.request, "tenant", None)
        return context

    def perform_create(self, serializer):
        serializer.save(tenant=self.request.tenant)


class WrittenByServicesMixin:
    """Creates and updates go through the app's services; the viewset only validates.

    ``writes`` is ``(create, update)``: ``create(tenant=, data=)`` and
    ``update(instance, data)``, each returning the saved row. List it before
    :class:`TenantModelViewSet` so that it replaces the gate's plain save.
    ``conflicts`` names the service errors that mean "taken by something
    else" (e.g. a device address another tenant uses): they answer 409.
    """

    writes: tuple[Callable[..., Any], Callable[..., Any]]
    conflicts: tuple[type[Exception], ...] = ()

    def perform_create(self, serializer):
        create, _update = self.writes
        with self._conflicts_answer_409():
            serializer.instance = create(tenant=self.request.tenant, data=serializer.validated_data)

    def perform_update(self, serializer):
        _create, update = self.writes
        with self._conflicts_answer_409():
            serializer.instance = update(serializer.instance, serializer.validated_data)

    @contextmanager
    def _conflicts_answer_409(self):
        try:
            yield
        except self.conflicts as exc:
            raise Conflict(str(exc)) from exc


class TenantModelViewSet(TenantScopedMixin, viewsets.ModelViewSet):
    pass


class TenantReadOnlyViewSet(TenantScopedMixin, viewsets.ReadOnlyModelViewSet):
    pass
