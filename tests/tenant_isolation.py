"""The reusable tenant-isolation check.

Every API resource registers one :class:`IsolatedResource`: how to create a
row in a tenant, its list URL and its detail URL. ``tests/test_tenant_isolation.py``
then walks every registered resource with tenant B's credentials and asserts
that A's rows are not listed, answer 404 to read/update/delete (exactly like a
missing row), and are left unchanged; and that asking for tenant A with
X-Tenant-ID as a non-member is 403.

Register from the test package of the app that owns the resource, e.g. in
``tests/subscribers/isolation.py`` and list that module in ``MODULES``.
"""

from __future__ import annotations

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


REGISTRY: dict[str, IsolatedResource] = {}

# Test modules that register resources (imported by the isolation test).
MODULES = [
    "tests.portal.isolation",
    "tests.subscribers.isolation",
    "tests.devices.isolation",
    "tests.devices.isolation_actions",
    "tests.devices.isolation_monitoring",
    "tests.billing.isolation",
    "tests.subscribers.isolation_v1",
    "tests.support.isolation",
]


def register(resource: IsolatedResource) -> IsolatedResource:
    REGISTRY[resource.name] = resource
    return resource


def load() -> dict[str, IsolatedResource]:
    import importlib

    for module in MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    return REGISTRY
