"""ISPChamp v1 IPAM for the tenant-isolation walk: pools, subnets and VRFs, and allocate/release (row-less POSTs)."""

from __future__ import annotations

from network.ipam import services
from network.ipam.choices import AllocationStatus
from network.ipam.models import Allocation
from tests.tenant_isolation import IsolatedAction, IsolatedResource, register, register_action

from .helpers import make_pool, subnet_of


def _pool(tenant):
    return make_pool(tenant, "100.64.0.0/24", name="Isolation")


def _allocation(tenant):
    return services.allocate(tenant, pool=_pool(tenant), address="100.64.0.9")


for name, create, path in [
    ("v1-ipam-pools", _pool, "pools"),
    ("v1-ipam-subnets", lambda tenant: subnet_of(_pool(tenant)), "subnets"),
    ("v1-ipam-vrfs", lambda tenant: _pool(tenant).vrf, "vrfs"),
]:
    register(
        IsolatedResource(
            name=name,
            create=create,
            list_url=f"/api/v1/ipam/{path}",
            detail_url=lambda row, path=path: f"/api/v1/ipam/{path}/{row.pk}",
            methods=("GET",),
        )
    )


def _nothing_allocated(pool) -> bool:
    return not Allocation.objects.filter(subnet__pool=pool).exists()


def _still_allocated(allocation) -> bool:
    return Allocation.objects.get(pk=allocation.pk).status == AllocationStatus.ALLOCATED


for name, create, payload, untouched in [
    ("v1-ipam-allocate-pool", _pool, lambda row: {"pool": row.pk}, _nothing_allocated),
    (
        "v1-ipam-allocate-subnet",
        _pool,
        lambda row: {"subnet": subnet_of(row).pk, "address": "100.64.0.9"},
        _nothing_allocated,
    ),
]:
    register_action(IsolatedAction(name, "/api/v1/ipam/allocate", create, payload, untouched))
for name, payload in [
    ("v1-ipam-release-id", lambda row: {"allocation": row.pk}),
    ("v1-ipam-release-address", lambda row: {"address": row.address, "vrf": row.vrf_id}),
]:
    register_action(IsolatedAction(name, "/api/v1/ipam/release", _allocation, payload, _still_allocated))
