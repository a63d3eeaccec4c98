"""Concurrent allocation on PostgreSQL, with real transactions (one connection per thread).

SQLite serializes writers and proves nothing here, so these skip there; CI
runs them on PostgreSQL. NetBox handed one address to 16 parallel requests
(netbox#2519, #10282): here 16 threads get 16 distinct addresses, and 8
threads asking for one address get one success and seven 409s.
"""

from __future__ import annotations

import pytest
from django.db import connection

from network.ipam import services
from network.ipam.choices import AllocationStatus
from network.ipam.models import Allocation
from tests.billing.test_concurrency import race

from .helpers import make_pool

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs PostgreSQL row locks"),
]


def test_16_concurrent_next_free_requests_get_16_distinct_addresses(tenant_a):
    assert connection.vendor == "postgresql"
    pool = make_pool(tenant_a, "100.64.0.0/24")
    results = race(16, lambda i: services.allocate(tenant_a, pool=pool).address)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    assert len(set(results)) == 16
    assert sorted(results, key=lambda a: int(a.rsplit(".", 1)[1])) == [f"100.64.0.{n}" for n in range(2, 18)]
    assert Allocation.objects.filter(status=AllocationStatus.ALLOCATED).count() == 16


def test_8_threads_on_one_address_one_wins_seven_get_409(tenant_a, api_as, noc_user):
    pool = make_pool(tenant_a, "100.64.0.0/24")
    clients = [api_as(noc_user, tenant_a) for _ in range(8)]  # tokens issued before the race

    def ask(i: int) -> int:
        return (
            clients[i]
            .post("/api/v1/ipam/allocate", {"pool": pool.pk, "address": "100.64.0.50"}, format="json")
            .status_code
        )

    results = race(8, ask)
    assert sorted(results) == [201] + [409] * 7, results
    assert Allocation.objects.filter(address="100.64.0.50").count() == 1


def test_concurrent_pool_allocations_across_subnets_exhaust_cleanly(tenant_a):
    # Two /29s with gateways: 10 usable; 14 threads → 10 addresses and 4 "exhausted", no duplicate, no deadlock.
    pool = make_pool(tenant_a, "192.0.2.0/29", "192.0.2.8/29")

    def take(i: int) -> str:
        try:
            return services.allocate(tenant_a, pool=pool).address
        except services.AddressConflict as exc:
            return exc.code

    results = race(14, take)
    addresses = [r for r in results if r != "exhausted"]
    assert len(addresses) == len(set(addresses)) == 10 and results.count("exhausted") == 4, results
