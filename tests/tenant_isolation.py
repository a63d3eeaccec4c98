"""The reusable tenant-isolation check, for the API and for the pages.

Every API resource registers one :class:`IsolatedResource`: how to create a
row in a tenant, its list URL and its detail URL. ``tests/test_tenant_isolation.py``
then walks every registered resource with tenant B's credentials and asserts
that A's rows are not listed, answer 404 to read/update/delete/actions (exactly
like a missing row), and are left unchanged; and that asking for tenant A with
X-Tenant-ID as a non-member is 403.

Every page URL registers one :class:`IsolatedPage` (``tests/pages/isolation*.py``);
``tests/pages/test_page_isolation.py`` asks for it as a user of tenant A about a
row of tenant B: a page of one row answers 404, a list or panel answers exactly
what it answered before the row existed. A POST that names no row in its URL
(run billing, a bulk action) registers an :class:`IsolatedAction`.

``tests/test_isolation_complete.py`` walks every URL pattern and fails when a
tenant-scoped one is covered by neither registry.

Register from the test package of the app that owns the resource, e.g. in
``tests/subscribers/isolation.py`` and list that module in ``MODULES``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class IsolatedResource:
    name: str
    create: Callable[[Any], Any]  # tenant → row
    list_url: str | None
    detail_url: Callable[[Any], str]  # row → URL
    write_payload: dict = field(default_factory=dict)  # a PATCH body that would change the row
    methods: tuple[str, ...] = ("GET", "PATCH", "DELETE")
    extra_urls: tuple[Callable[[Any], str], ...] = ()  # sub-resources of a row (GET)
    action_urls: tuple[Callable[[Any], str], ...] = ()  # actions on a row (POST, e.g. cancel, suspend)


@dataclass(frozen=True)
class IsolatedPage:
    """A page (URL name) asked for by tenant A's admin about a row of tenant B.

    ``kwargs(row)`` fills the URL of a page of one row (it must answer 404);
    without it the page is a list or panel, which must answer the same with
    and without the foreign row (``query(row)``, if given, names the row in
    the query string instead: the page must answer 404). A POST that names no
    row in its URL is an :class:`IsolatedAction` instead.
    """

    url_name: str
    create: Callable[[Any], Any]  # tenant → row
    kwargs: Callable[[Any], dict] | None = None
    query: Callable[[Any], dict] | None = None
    method: str = "GET"
    data: dict = field(default_factory=dict)
    htmx: bool = False  # ask for the fragment (a panel polled by htmx)


@dataclass(frozen=True)
class IsolatedAction:
    """A POST that names no row in its URL (run billing for a month, a bulk action).

    Done by tenant B with ``payload(row)`` about tenant A's row, it must not
    reach the row: ``untouched(row)`` says so afterwards. ``page``: posted by
    a logged-in user of the portal's pages, otherwise through the API.
    """

    name: str
    url: str
    create: Callable[[Any], Any]  # tenant → row
    payload: Callable[[Any], dict]
    untouched: Callable[[Any], bool]
    page: bool = False


REGISTRY: dict[str, IsolatedResource] = {}
PAGES: list[IsolatedPage] = []
ACTIONS: list[IsolatedAction] = []

# Test modules that register resources (imported by the isolation test).
MODULES = [
    "tests.portal.isolation",
    "tests.subscribers.isolation",
    "tests.devices.isolation",
    "tests.devices.isolation_actions",
    "tests.devices.isolation_monitoring",
    "tests.billing.isolation",
    "tests.billing.isolation_generate",
    "tests.subscribers.isolation_v1",
    "tests.support.isolation",
    "tests.pages.isolation",
    "tests.support.isolation_pages",
    "tests.ipam.isolation",
    "tests.ipam.isolation_pages",
]


def register(resource: IsolatedResource) -> IsolatedResource:
    REGISTRY[resource.name] = resource
    return resource


def register_collection(
    name: str,
    create: Callable[[Any], Any],
    list_url: str,
    *,
    subresources: tuple[str, ...] = (),
    row_actions: tuple[str, ...] = (),
    **options: Any,
) -> IsolatedResource:
    """Register a resource whose rows live under its list URL: ``<list_url>/<pk>`` (with the list's trailing slash).

    ``subresources`` (GET) and ``row_actions`` (POST) are path segments after
    the row: ``<list_url>/<pk>/<segment>``.
    """
    collection, slash = list_url.rstrip("/"), "/" if list_url.endswith("/") else ""

    def under_row(segments: tuple[str, ...]) -> tuple[Callable[[Any], str], ...]:
        return tuple((lambda row, segment=segment: f"{collection}/{row.pk}/{segment}") for segment in segments)

    options["extra_urls"] = (*options.get("extra_urls", ()), *under_row(subresources))
    options["action_urls"] = (*options.get("action_urls", ()), *under_row(row_actions))
    return register(
        IsolatedResource(
            name=name,
            create=create,
            list_url=list_url,
            detail_url=lambda row: f"{collection}/{row.pk}{slash}",
            **options,
        )
    )


def register_page(page: IsolatedPage) -> IsolatedPage:
    PAGES.append(page)
    return page


def register_action(action: IsolatedAction) -> IsolatedAction:
    ACTIONS.append(action)
    return action


def load() -> dict[str, IsolatedResource]:
    for module in MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    return REGISTRY


def load_pages() -> list[IsolatedPage]:
    load()
    return PAGES


def load_actions() -> list[IsolatedAction]:
    load()
    return ACTIONS
