"""Demo IPAM for ``manage.py seed_demo``: per tenant a public /24 (+ an IPv6 /64), CGNAT 100.64.0.0/16, management.

Idempotent: a tenant that has a VRF already gets nothing. Runs after the
subscribers and devices demos (INSTALLED_APPS order): the first subscribers
get a CGNAT address, enough of them a public static one to put the public
pool over its alert threshold (the dashboard shows the alert), and the
first CPEs a management address.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from devices.models import Cpe
from subscribers.models import Subscriber

from . import services
from .choices import PoolPurpose
from .models import Vrf
from .services import Assignment, SubnetSpec

# tenant slug → (public IPv4 /24, public IPv6 /64); documentation ranges (RFC 5737, RFC 3849).
PUBLIC = {"demo": ("192.0.2.0/24", "2001:db8:0:1::/64"), "acme": ("198.51.100.0/24", "2001:db8:0:2::/64")}
# 205 of the /24's 245 usable addresses (gateway .1, .2-.9 reserved): 83.7 %.
STATIC_ADDRESSES = 205


def _gateway(cidr: str) -> str:
    return str(ipaddress.ip_network(cidr)[1])


def seed_tenant(tenant, slug: str, small: bool) -> dict[str, int]:
    if Vrf.objects.for_tenant(tenant).exists():
        return {"pools": 0, "allocations": 0}
    public4, public6 = PUBLIC.get(slug, PUBLIC["demo"])
    net = ipaddress.ip_network(public4)
    internet = services.create_vrf(tenant, name="internet", rd="65000:1")
    management = services.create_vrf(tenant, name="management", rd="65000:99")
    public = services.create_pool(
        tenant,
        name="Public static",
        vrf=internet,
        purpose=PoolPurpose.PUBLIC_STATIC,
        alert_threshold=80,
        subnets=[
            SubnetSpec(public4, gateway=_gateway(public4), reserved=(f"{net[2]}-{net[9]}",)),
        ],
    )
    public_v6 = services.create_pool(
        tenant, name="Public IPv6", vrf=internet, purpose=PoolPurpose.PPPOE_DYNAMIC, subnets=[SubnetSpec(public6)]
    )
    cgnat = services.create_pool(
        tenant,
        name="CGNAT",
        vrf=internet,
        purpose=PoolPurpose.CGNAT,
        alert_threshold=90,
        subnets=[SubnetSpec("100.64.0.0/16", gateway="100.64.0.1")],
    )
    mgmt = services.create_pool(
        tenant,
        name="CPE management",
        vrf=management,
        purpose=PoolPurpose.MANAGEMENT,
        subnets=[SubnetSpec("10.250.0.0/20", gateway="10.250.0.1")],
    )
    subscribers = list(Subscriber.objects.for_tenant(tenant).order_by("id")[: 40 if small else 400])
    count = 0
    for subscriber in subscribers:
        services.allocate(tenant, pool=cgnat, assignment=Assignment(subscriber=subscriber, description="CGNAT"))
        services.allocate(tenant, pool=public_v6, assignment=Assignment(subscriber=subscriber))
        count += 2
    # Enough static IPs to pass the public pool's 80 % (the dashboard's exhaustion alert); business
    # subscribers hold several.
    for index in range(STATIC_ADDRESSES if subscribers else 0):
        subscriber = subscribers[index % len(subscribers)]
        services.allocate(tenant, pool=public, assignment=Assignment(subscriber=subscriber, description="static"))
        count += 1
    for cpe in Cpe.objects.for_tenant(tenant).order_by("id")[: 10 if small else 50]:
        services.allocate(tenant, pool=mgmt, assignment=Assignment(cpe=cpe, description=f"mgmt {cpe.sn}"))
        count += 1
    return {"pools": 4, "allocations": count}


def seed(tenants: dict[str, Any], stdout=None, small: bool = False) -> dict[str, dict[str, int]]:
    summary: dict[str, dict[str, int]] = {}
    for slug, tenant in tenants.items():
        summary[slug] = seed_tenant(tenant, slug, small)
        if stdout is not None:
            stdout.write(f"  ipam/{slug}: {summary[slug]['pools']} pools, {summary[slug]['allocations']} allocations")
    return summary
