"""Tenant isolation of the IPAM pages: one case per URL name (see tests/pages/isolation.py)."""

from __future__ import annotations

from network.ipam.models import Allocation
from tests.pages.isolation import of_row
from tests.tenant_isolation import IsolatedAction, IsolatedPage, register_action, register_page

from .helpers import subnet_of
from .isolation import _allocation, _nothing_allocated, _pool, _still_allocated

register_page(IsolatedPage("ipam:pools", _pool))
register_page(IsolatedPage("ipam:subnets", _pool))
register_page(IsolatedPage("ipam:subnet", lambda tenant: subnet_of(_pool(tenant)), kwargs=of_row))
register_page(
    IsolatedPage("ipam:allocate", lambda tenant: subnet_of(_pool(tenant)), query=lambda row: {"subnet": row.pk})
)
register_page(IsolatedPage("ipam:release", _allocation, kwargs=of_row, method="POST"))
register_action(
    IsolatedAction(
        "ipam:allocate-post",
        "/ipam/allocate/",
        _pool,
        payload=lambda row: {"pool": row.pk, "address": "100.64.0.9"},
        untouched=_nothing_allocated,
        page=True,
    )
)
register_action(
    IsolatedAction(
        "ipam:allocate-post-subnet",
        "/ipam/allocate/",
        _allocation,
        payload=lambda row: {"subnet": row.subnet_id, "address": "100.64.0.10"},
        untouched=lambda row: _still_allocated(row) and Allocation.objects.count() == 1,
        page=True,
    )
)
