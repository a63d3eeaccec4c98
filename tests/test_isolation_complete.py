"""The tenant-isolation walk is complete by construction.

Every URL pattern of the project (``django.urls.get_resolver()``, walked
recursively) is either covered by an isolation case — an API resource in
``tests.tenant_isolation.REGISTRY``, a page in ``PAGES`` or a row-less POST in ``ACTIONS`` —
or listed in :data:`NOT_TENANT_SCOPED` with the reason it needs none. A new
endpoint or page that nobody registers fails here, naming its pattern and view.

Cases are matched to patterns by resolving the URLs they ask for, so they
follow a pattern wherever its app mounts it.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from urllib.parse import urlsplit

from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from rest_framework.views import APIView

from portal.api.gate import TenantScopedMixin
from portal.api.permissions import TenantGate
from portal.pages import TenantViewMixin
from tests.tenant_isolation import load, load_actions, load_pages

# URL name (or route prefix for whole URL trees) → why it needs no isolation case.
NOT_TENANT_SCOPED: dict[str, str] = {
    "admin/": "Django admin: staff only, not tenant-scoped by design (superusers manage every tenant)",
    "login": "the login form: no tenant yet",
    "logout": "ends the session: no tenant rows",
    "switch-tenant": "checks membership of the asked tenant itself (tests/portal/test_pages.py)",
    "profile": "the user's own memberships only, no tenant rows; another user's membership is refused "
    "(tests/portal/test_default_tenant.py)",
    "oauth2-token": "OAuth2 token endpoint: authenticates the client, reads no tenant rows",
    "oauth2-revoke": "OAuth2 revocation of the caller's own token",
    "auth-login": "Krill token login: no tenant yet",
    "auth-refresh": "Krill token refresh: the caller's own token",
    "me": "the caller's own identity, tenant and role; no tenant rows",
    "v1-not-found": "catch-all 404 in the v1 envelope: no view behind it",
    "api-schema": "the OpenAPI schema: the same for every caller",
    "api-docs": "Swagger UI over the schema: static",
}


@dataclass(frozen=True)
class Pattern:
    route: str
    name: str | None  # namespaced URL name
    view: type | object  # the view class (or function)

    @property
    def key(self) -> str:
        return self.name or self.route

    def describe(self) -> str:
        view = self.view
        qualname = f"{view.__module__}.{getattr(view, '__qualname__', view)}"
        return f"/{self.route}  (name {self.name!r}, view {qualname})"


def walk(resolver: URLResolver, prefix: str = "", namespace: str | None = None):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from walk(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            callback = entry.callback
            view = getattr(callback, "view_class", None) or getattr(callback, "cls", None) or callback
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield Pattern(prefix + str(entry.pattern), name, view)


PATTERNS = list(walk(get_resolver()))


def is_tenant_scoped(view) -> bool:
    """A page behind the page gate, or an API view behind the tenant gate."""
    if not isinstance(view, type):
        return False
    if issubclass(view, TenantViewMixin | TenantScopedMixin):
        return True
    if issubclass(view, APIView) and getattr(view, "tenant_scoped", True):
        return any(isinstance(p, type) and issubclass(p, TenantGate) for p in view.permission_classes)
    return False


def allow_listed(pattern: Pattern) -> bool:
    return pattern.key in NOT_TENANT_SCOPED or any(
        key.endswith("/") and pattern.route.startswith(key) for key in NOT_TENANT_SCOPED
    )


def view_name_of(url: str) -> str:
    match = resolve(urlsplit(url).path)
    return match.view_name if match.url_name else match.route


def covered_names() -> set[str]:
    """The URL names the registered cases ask for (a stand-in row: the URLs only need its pk)."""
    row = SimpleNamespace(pk=1, id=1)
    names: set[str] = set()
    for resource in load().values():
        urls = [resource.detail_url(row)]
        urls += [make(row) for make in (*resource.extra_urls, *resource.action_urls)]
        if resource.list_url:
            urls.append(resource.list_url)
        names |= {view_name_of(url) for url in urls}
    for page in load_pages():
        url = reverse(page.url_name, kwargs=page.kwargs(row) if page.kwargs else None)
        names.add(view_name_of(url))
    names |= {view_name_of(action.url) for action in load_actions()}
    return names


def test_every_tenant_scoped_url_has_an_isolation_case():
    covered = covered_names()
    missing = [p for p in PATTERNS if p.key not in covered and not allow_listed(p)]
    assert not missing, (
        "These URL patterns have no tenant-isolation case. Register an IsolatedResource (API, "
        "tests/<app>/isolation*.py), an IsolatedPage (page, tests/pages/isolation*.py) or an IsolatedAction "
        "(a POST that names no row), or add the pattern to NOT_TENANT_SCOPED in "
        "tests/test_isolation_complete.py with the reason:\n"
        + "\n".join(f"  - {p.describe()}{' [tenant-scoped]' if is_tenant_scoped(p.view) else ''}" for p in missing)
    )


def test_the_allow_list_holds_no_tenant_scoped_view_and_no_stale_name():
    keys = {p.key for p in PATTERNS}
    stale = [key for key in NOT_TENANT_SCOPED if not key.endswith("/") and key not in keys]
    assert not stale, f"NOT_TENANT_SCOPED names URL patterns that no longer exist: {stale}"
    scoped = [p.describe() for p in PATTERNS if allow_listed(p) and p.view is not None and _row_scoped(p.view)]
    assert not scoped, f"These allow-listed views scope rows by tenant and need an isolation case: {scoped}"


def _row_scoped(view) -> bool:
    return isinstance(view, type) and issubclass(view, TenantViewMixin | TenantScopedMixin)


def test_the_walk_sees_the_api_and_the_pages():
    # A guard on the walk itself: if it stopped descending into includes, everything would "pass".
    keys = {p.key for p in PATTERNS}
    assert {"krill-cpe-detail", "v1-subscriber-detail", "devices:detail", "billing:invoices"} <= keys
    assert sum(is_tenant_scoped(p.view) for p in PATTERNS) > 50
