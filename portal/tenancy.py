"""Resolving the active tenant — once per request — for pages and for the API.

Pages: the membership the user picked in the top-bar switcher (kept in the
session), else their default membership, else their first. API: the tenant
an integration client is bound to, else ``X-Tenant-ID`` (slug or numeric id)
checked against the caller's memberships, else (Krill v2) the user's default
tenant: Krill is single-tenant, so its clients never send the header. The
answer is a :class:`TenantContext` that views read from ``request.tenant`` /
``request.role``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.functional import SimpleLazyObject

from .models import Membership, Tenant

SESSION_KEY = "active_tenant_id"
TENANT_HEADER = "X-Tenant-ID"


class TenantDenied(Exception):
    """The caller asked for a tenant they do not belong to (403)."""


class TenantRequired(Exception):
    """The caller must say which tenant (400)."""


@dataclass(frozen=True)
class TenantContext:
    tenant: Tenant
    role: str


def _lookup(memberships, requested: str) -> Membership | None:
    requested = requested.strip()
    for membership in memberships:
        if membership.tenant.slug == requested or str(membership.tenant_id) == requested:
            return membership
    return None


def default_of(memberships: list[Membership]) -> Membership | None:
    return next((m for m in memberships if m.is_default), None)


def make_default(membership: Membership) -> Membership:
    """Save ``membership`` as its user's default tenant; their previous default stops being one.

    One transaction, the old default cleared first: the database allows one
    default per user (``membership_one_default_per_user``).
    """
    with transaction.atomic():
        previous = Membership.objects.select_for_update().filter(user_id=membership.user_id, is_default=True)
        for other in previous.exclude(pk=membership.pk) if membership.pk else previous:
            other.is_default = False
            other.save(update_fields=["is_default"])  # a save, not update(): the history keeps the change
        membership.is_default = True
        membership.save()
    return membership


def memberships_of(user) -> list[Membership]:
    if not getattr(user, "is_authenticated", False):
        return []
    return list(Membership.objects.filter(user=user).select_related("tenant").order_by("tenant__name"))


def resolve_for_user(user, requested: str | None, *, required: bool = False) -> TenantContext:
    """The tenant a user's request acts on.

    ``requested`` is the header/session value; ``required`` makes a missing
    value an error even for a user with a single membership (ISPChamp v1
    insists on the header).
    """
    memberships = memberships_of(user)
    if requested:
        membership = _lookup(memberships, requested)
        if membership is None:
            raise TenantDenied(f"You are not a member of tenant {requested!r}.")
        return TenantContext(membership.tenant, membership.role)
    if required:
        raise TenantRequired(f"The {TENANT_HEADER} header is required (tenant slug or id).")
    chosen = default_of(memberships)
    if chosen is None and len(memberships) == 1:
        chosen = memberships[0]
    if chosen is not None:
        return TenantContext(chosen.tenant, chosen.role)
    if not memberships:
        raise TenantDenied("Your account is not a member of any tenant.")
    raise TenantRequired(
        f"You belong to several tenants and have no default tenant; send the {TENANT_HEADER} header (one of: "
        + ", ".join(m.tenant.slug for m in memberships)
        + ") or choose a default tenant on your profile page."
    )


def resolve_for_client(client, requested: str | None) -> TenantContext:
    """An integration client always acts on the one tenant it is bound to."""
    tenant = client.tenant
    if requested and requested.strip() not in (tenant.slug, str(tenant.pk)):
        raise TenantDenied(f"This API client is bound to tenant {tenant.slug!r}, not {requested!r}.")
    return TenantContext(tenant, client.role)


def _resolve_for_page(request) -> TenantContext | None:
    user = request.user
    memberships = memberships_of(user)
    if not memberships:
        return None
    wanted = request.session.get(SESSION_KEY)
    chosen = next((m for m in memberships if m.tenant_id == wanted), None) or default_of(memberships) or memberships[0]
    request._tenant_memberships = memberships
    return TenantContext(chosen.tenant, chosen.role)


class TenantMiddleware:
    """Sets ``request.tenant_context`` lazily for page requests.

    API requests authenticate with bearer tokens inside DRF, so the API gate
    (portal.api.gate.TenantGate) resolves and overwrites it there.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.tenant_context = SimpleLazyObject(lambda: _resolve_for_page(request) or _NoTenant())
        return self.get_response(request)


class _NoTenant:
    """Stands in for a user with no membership (falsy)."""

    tenant = None
    role = None

    def __bool__(self) -> bool:
        return False


def switch_tenant(request, tenant_id: int) -> bool:
    """Remember the user's choice; False if they are not a member."""
    if not Membership.objects.filter(user=request.user, tenant_id=tenant_id).exists():
        return False
    request.session[SESSION_KEY] = tenant_id
    return True
