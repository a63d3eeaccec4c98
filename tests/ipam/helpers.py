"""Builders for IPAM tests: a VRF, a pool with subnets."""

from __future__ import annotations

from network.ipam import services
from network.ipam.addressing import parse_network
from network.ipam.choices import PoolPurpose
from network.ipam.models import Pool, Subnet, Vrf
from network.ipam.services import SubnetSpec


def make_vrf(tenant, name: str = "internet", unique: bool = True) -> Vrf:
    return Vrf.objects.filter(tenant=tenant, name=name).first() or services.create_vrf(
        tenant, name=name, enforce_unique=unique
    )


def make_pool(tenant, *cidrs: str, name: str = "CGNAT", vrf: Vrf | None = None, gateway: bool = True, **extra) -> Pool:
    """A pool with one subnet per CIDR (gateway: the first host, unless ``gateway=False``)."""
    specs = []
    for cidr in cidrs or ("100.64.0.0/24",):
        first_host = parse_network(cidr)[1]
        specs.append(SubnetSpec(cidr, gateway=str(first_host) if gateway else None))
    return services.create_pool(
        tenant,
        name=name,
        vrf=vrf or make_vrf(tenant),
        purpose=extra.pop("purpose", PoolPurpose.CGNAT),
        subnets=specs,
        **extra,
    )


def subnet_of(pool: Pool) -> Subnet:
    return pool.subnets.get()
