"""Allocation, release, quarantine and the overlap rules, through network.ipam.services."""

import ipaddress
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from network.ipam import selectors, services
from network.ipam.addressing import key_of
from network.ipam.choices import AllocationStatus
from network.ipam.models import Allocation, Pool, Subnet
from network.ipam.services import AddressConflict, Assignment, SubnetSpec
from tests.billing.helpers import make_subscriber

from .helpers import make_pool, make_vrf, subnet_of

pytestmark = pytest.mark.django_db


def addresses(rows) -> list[str]:
    return [row.address for row in rows]


def test_next_free_skips_network_gateway_reserved_and_broadcast(tenant_a):
    vrf = make_vrf(tenant_a)
    pool = services.create_pool(
        tenant_a,
        name="tiny",
        vrf=vrf,
        purpose="public_static",
        subnets=[SubnetSpec("192.0.2.0/29", gateway="192.0.2.1", reserved=("192.0.2.3",))],
    )
    got = [services.allocate(tenant_a, pool=pool) for _ in range(4)]
    assert addresses(got) == ["192.0.2.2", "192.0.2.4", "192.0.2.5", "192.0.2.6"]
    with pytest.raises(AddressConflict, match="tiny is exhausted: all 4 usable addresses") as caught:
        services.allocate(tenant_a, pool=pool)
    assert caught.value.code == "exhausted"


def test_a_pool_moves_on_to_its_next_subnet(tenant_a):
    pool = make_pool(tenant_a, "100.64.0.0/30", "100.64.1.0/30")
    got = addresses(services.allocate(tenant_a, pool=pool) for _ in range(2))
    assert got == ["100.64.0.2", "100.64.1.2"]  # a /30 has one host left after its gateway


def test_a_specific_address_is_handed_out_once(tenant_a):
    pool = make_pool(tenant_a)
    subscriber = make_subscriber(tenant_a)
    first = services.allocate(tenant_a, pool=pool, address="100.64.0.77", assignment=Assignment(subscriber=subscriber))
    assert (first.address, first.subscriber, first.status) == ("100.64.0.77", subscriber, AllocationStatus.ALLOCATED)
    with pytest.raises(AddressConflict, match="already allocated") as caught:
        services.allocate(tenant_a, pool=pool, address="100.64.0.77")
    assert caught.value.code == "address_taken"
    # The next-free search goes around it.
    assert services.allocate(tenant_a, pool=pool, address="100.64.0.2").address == "100.64.0.2"


@pytest.mark.parametrize(
    "address, message",
    [("100.65.0.1", "outside"), ("100.64.0.1", "the gateway"), ("100.64.0.255", "not assignable"), ("x", "not an IP")],
)
def test_addresses_that_cannot_be_given_are_field_errors(tenant_a, address, message):
    pool = make_pool(tenant_a)
    with pytest.raises(ValidationError, match=message) as caught:
        services.allocate(tenant_a, pool=pool, address=address)
    assert "address" in caught.value.message_dict
    assert not Allocation.objects.exists()


def test_release_quarantines_then_the_address_comes_back(tenant_a, settings):
    settings.NOC_IPAM_QUARANTINE_SECONDS = 3600
    pool = make_pool(tenant_a, "192.0.2.0/30", gateway=False)  # two hosts: .1 and .2
    one, two = (services.allocate(tenant_a, pool=pool) for _ in range(2))
    released = services.release(tenant_a, allocation=one)
    assert released.status == AllocationStatus.QUARANTINED
    assert released.quarantine_until > timezone.now() + timedelta(minutes=59)
    # Idempotent: the second release answers the same row, unchanged.
    again = services.release(tenant_a, address="192.0.2.1", vrf=pool.vrf)
    assert (again.pk, again.status, again.quarantine_until) == (one.pk, released.status, released.quarantine_until)
    with pytest.raises(AddressConflict, match="exhausted"):
        services.allocate(tenant_a, pool=pool)
    with pytest.raises(AddressConflict, match="in quarantine"):
        services.allocate(tenant_a, pool=pool, address="192.0.2.1")
    Allocation.objects.filter(pk=one.pk).update(quarantine_until=timezone.now() - timedelta(seconds=1))
    reused = services.allocate(tenant_a, pool=pool)
    assert reused.address == "192.0.2.1" and reused.pk != one.pk
    assert Allocation.objects.get(pk=one.pk).status == AllocationStatus.RELEASED
    assert two.status == AllocationStatus.ALLOCATED


def test_no_quarantine_releases_at_once(tenant_a, settings):
    settings.NOC_IPAM_QUARANTINE_SECONDS = 0
    pool = make_pool(tenant_a, "192.0.2.0/30", gateway=False)
    one = services.allocate(tenant_a, pool=pool)
    assert services.release(tenant_a, allocation=one).status == AllocationStatus.RELEASED
    assert services.allocate(tenant_a, pool=pool, address="192.0.2.1").address == "192.0.2.1"


def test_release_of_an_address_never_allocated_is_a_field_error(tenant_a):
    pool = make_pool(tenant_a)
    with pytest.raises(ValidationError, match="not allocated"):
        services.release(tenant_a, address="100.64.0.9", vrf=pool.vrf)


def test_overlap_is_refused_inside_a_unique_vrf_and_allowed_across_vrfs(tenant_a):
    make_pool(tenant_a, "10.0.0.0/16", name="big")
    with pytest.raises(ValidationError, match=r"10\.0\.5\.0/24 overlaps 10\.0\.0\.0/16 in VRF internet"):
        make_pool(tenant_a, "10.0.5.0/24", name="inside")
    assert not Pool.objects.filter(name="inside").exists(), "a refused subnet left its pool behind"
    other = make_vrf(tenant_a, name="customer-a")
    make_pool(tenant_a, "10.0.5.0/24", name="other vrf", vrf=other)
    shared = make_vrf(tenant_a, name="lab", unique=False)
    make_pool(tenant_a, "10.1.0.0/24", name="lab 1", vrf=shared)
    lab2 = make_pool(tenant_a, "10.1.0.0/25", name="lab 2", vrf=shared)
    # The same address twice in a non-unique VRF (two subnets); release by address is then ambiguous.
    services.allocate(tenant_a, pool=Pool.objects.get(name="lab 1"), address="10.1.0.5")
    services.allocate(tenant_a, pool=lab2, address="10.1.0.5")
    with pytest.raises(ValidationError, match="more than once"):
        services.release(tenant_a, address="10.1.0.5", vrf=shared)
    # Adjacent prefixes do not overlap; IPv6 and IPv4 never do.
    make_pool(tenant_a, "10.2.0.0/24", "10.1.1.0/24", "::a00:0/120", name="adjacent", gateway=False)


def test_ipv6_allocation(tenant_a):
    pool = make_pool(tenant_a, "2001:db8:0:1::/64", "192.0.2.0/24", name="dual")
    assert services.allocate(tenant_a, pool=pool).address == "192.0.2.2"  # IPv4 first
    v6 = [services.allocate(tenant_a, pool=pool, family=6).address for _ in range(2)]
    assert v6 == ["2001:db8:0:1::2", "2001:db8:0:1::3"]  # ::0 anycast, ::1 gateway
    top = services.allocate(tenant_a, pool=pool, address="2001:db8:0:1:ffff:ffff:ffff:ffff")
    assert top.key == "20010db800000001ffffffffffffffff"
    with pytest.raises(AddressConflict):
        services.allocate(tenant_a, pool=pool, address="2001:DB8:0:1:FFFF:FFFF:FFFF:FFFF")
    with pytest.raises(ValidationError, match="outside"):
        services.allocate(tenant_a, pool=pool, address="2001:db8:0:2::5")


def test_a_bad_subnet_writes_nothing(tenant_a):
    vrf = make_vrf(tenant_a)
    for spec, field in [
        (SubnetSpec("10.0.0.1/24"), "host bits"),
        (SubnetSpec("10.0.0.0/24", gateway="10.0.1.1"), "outside"),
        (SubnetSpec("10.0.0.0/24", reserved=("10.0.0.9-10.0.0.3",)), "ends before"),
    ]:
        with pytest.raises(ValidationError, match=field):
            services.create_pool(
                tenant_a, name="bad", vrf=vrf, purpose="cgnat", subnets=[SubnetSpec("10.9.0.0/24"), spec]
            )
    assert not Pool.objects.exists() and not Subnet.objects.exists()


def test_next_free_at_95_percent_reads_windows_not_every_address(tenant_a):
    pool = make_pool(tenant_a, "100.64.0.0/20")  # the /16 is in tests/perf/test_ipam_alloc.py
    subnet = subnet_of(pool)
    numbers = [n for n in range(subnet.space.first, subnet.space.last + 1) if not subnet.space.is_excluded(n)]
    fill = numbers[: int(len(numbers) * 0.95)]
    Allocation.objects.bulk_create(
        Allocation(
            tenant=tenant_a,
            subnet=subnet,
            vrf=subnet.vrf,
            address=str(ipaddress.ip_address(n)),
            key=key_of(n),
        )
        for n in fill
    )
    # Cursor at the start (the worst case): the search walks windows, it never lists every address.
    with CaptureQueriesContext(connection) as ctx:
        got = services.allocate(tenant_a, pool=pool)
    assert got.key == key_of(numbers[len(fill)])
    assert len(ctx.captured_queries) < 40
    # With the cursor set, the next one costs a single probe.
    with CaptureQueriesContext(connection) as ctx:
        services.allocate(tenant_a, pool=pool)
    selects = [q for q in ctx.captured_queries if "ipam_allocation" in q["sql"] and q["sql"].startswith("SELECT")]
    assert len(selects) == 1, selects


def test_framed_ip_address_prefers_a_public_static_ipv4(tenant_a):
    subscriber = make_subscriber(tenant_a)
    assert selectors.framed_ip_address(subscriber) is None
    for_him = Assignment(subscriber=subscriber)
    services.allocate(tenant_a, pool=make_pool(tenant_a, "100.64.0.0/24"), assignment=for_him)
    services.allocate(tenant_a, pool=make_pool(tenant_a, "2001:db8::/64", name="v6"), assignment=for_him)
    assert selectors.framed_ip_address(subscriber) == "100.64.0.2"
    public = make_pool(tenant_a, "192.0.2.0/24", name="public", purpose="public_static")
    static = services.allocate(tenant_a, pool=public, assignment=for_him)
    assert selectors.framed_ip_address(subscriber) == "192.0.2.2"
    services.release(tenant_a, allocation=static)
    assert selectors.framed_ip_address(subscriber) == "100.64.0.2"
