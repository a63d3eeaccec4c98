"""Benchmark: IPAM allocation latency in a /16 at 0 % and 95 % use, and 1,000 allocations by 8 clients.

Run on demand (tests/perf is left out of the default run)::

    .venv/bin/pytest tests/perf/test_ipam_alloc.py -s -o addopts=""

Needs PostgreSQL. On SQLite the test runs itself again in a subprocess
against ``NOC_PERF_IPAM_DATABASE_URL`` (default
``postgres://postgres@127.0.0.1:5432/noc_perf_ipam``; pytest-django creates
and drops ``test_noc_perf_ipam``). Knob: ``NOC_PERF_IPAM_SAMPLES`` (300).

Each allocation is one ``services.allocate`` call in its own transaction
(lock the subnet row, end expired quarantines, find the next free, insert,
move the cursor), timed from the caller. Asserted: distinct addresses; the
times are printed, never asserted.
"""

from __future__ import annotations

import ipaddress
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from network.ipam import services
from network.ipam.addressing import key_of
from network.ipam.models import Allocation, Subnet
from tests.billing.test_concurrency import race
from tests.factories import TenantFactory
from tests.ipam.helpers import make_pool

pytestmark = pytest.mark.perf

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES = int(os.environ.get("NOC_PERF_IPAM_SAMPLES", "300"))
PERF_DATABASE_URL = os.environ.get("NOC_PERF_IPAM_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/noc_perf_ipam")
CLIENTS = 8
CONCURRENT_TOTAL = 1000


def test_ipam_alloc_on_sqlite_reruns_on_postgresql():
    if connection.vendor == "postgresql":
        pytest.skip("already on PostgreSQL: the benchmark below runs here")
    env = {**os.environ, "DATABASE_URL": PERF_DATABASE_URL}
    command = [sys.executable, "-m", "pytest", __file__, "-s", "-o", "addopts=", "-p", "no:cacheprovider"]
    print(f"\nre-running on PostgreSQL ({PERF_DATABASE_URL}): {' '.join(command)}", flush=True)
    assert subprocess.run(command, cwd=REPO_ROOT, env=env, check=False).returncode == 0


def timed(n: int, work) -> list[float]:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return times


def figures(label: str, times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[max(0, round(len(ordered) * 0.95) - 1)]
    return f"{label:<52} n={len(times):>5}  p50 {statistics.median(ordered):6.2f} ms  p95 {p95:6.2f} ms"


def fill(subnet: Subnet, numbers: list[int]) -> None:
    rows = (
        Allocation(
            tenant_id=subnet.tenant_id,
            subnet=subnet,
            vrf_id=subnet.vrf_id,
            address=str(ipaddress.ip_address(n)),
            key=key_of(n),
        )
        for n in numbers
    )
    Allocation.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE ipam_allocation")


def usable(subnet: Subnet) -> list[int]:
    space = subnet.space
    return [n for n in range(space.first, space.last + 1) if not space.is_excluded(n)]


@pytest.mark.django_db(transaction=True)
def test_ipam_allocation_latency():
    if connection.vendor != "postgresql":
        pytest.skip("the benchmark runs on PostgreSQL (see the test above)")
    tenant = TenantFactory(slug="perf-ipam", name="Perf IPAM")
    lines = []

    empty = make_pool(tenant, "100.64.0.0/16", name="empty")
    lines.append(figures("next free, empty /16", timed(SAMPLES, lambda: services.allocate(tenant, pool=empty))))

    # 95 % allocated in order, the way a pool fills: the cursor sits at the first free address.
    sequential = make_pool(tenant, "100.65.0.0/16", name="sequential")
    subnet = sequential.subnets.get()
    numbers = usable(subnet)
    filled = numbers[: int(len(numbers) * 0.95)]
    fill(subnet, filled)
    Subnet.objects.filter(pk=subnet.pk).update(cursor_key=key_of(numbers[len(filled)]))
    lines.append(
        figures(
            "next free, 95 % of a /16 (filled in order)",
            timed(SAMPLES, lambda: services.allocate(tenant, pool=sequential)),
        )
    )

    with CaptureQueriesContext(connection) as one:
        services.allocate(tenant, pool=sequential)
    lines.append(f"  one allocation = {len(one)} SQL statements: " + "; ".join(q["sql"].split()[0] for q in one))

    # 95 % allocated at random (releases everywhere), cursor at the start.
    scattered = make_pool(tenant, "100.66.0.0/16", name="scattered")
    subnet = scattered.subnets.get()
    numbers = usable(subnet)
    fill(subnet, random.Random(12).sample(numbers, int(len(numbers) * 0.95)))
    lines.append(
        figures(
            "next free, 95 % of a /16 (random holes)", timed(SAMPLES, lambda: services.allocate(tenant, pool=scattered))
        )
    )
    taken = set(Allocation.objects.filter(subnet=subnet).values_list("address", flat=True))
    free = [str(ipaddress.ip_address(n)) for n in numbers if str(ipaddress.ip_address(n)) not in taken][:SAMPLES]
    addresses = iter(free)
    lines.append(
        figures(
            "specific address, 95 % of a /16",
            timed(len(free), lambda: services.allocate(tenant, pool=scattered, address=next(addresses))),
        )
    )

    # The worst case: the cursor lost (reset) with the first 95 % full: the search reads windows of keys.
    worst = make_pool(tenant, "100.67.0.0/16", name="worst")
    subnet = worst.subnets.get()
    numbers = usable(subnet)
    fill(subnet, numbers[: int(len(numbers) * 0.95)])

    def reset_and_allocate():
        Subnet.objects.filter(pk=subnet.pk).update(cursor_key="")
        services.allocate(tenant, pool=worst)

    lines.append(figures("worst case: cursor reset, first 95 % full", timed(20, reset_and_allocate)))

    # 1,000 allocations by 8 concurrent clients in one /16.
    shared = make_pool(tenant, "100.68.0.0/16", name="shared")
    connections.close_all()
    per_client = CONCURRENT_TOTAL // CLIENTS
    started = time.perf_counter()
    results = race(CLIENTS, lambda i: timed(per_client, lambda: services.allocate(tenant, pool=shared)))
    wall = time.perf_counter() - started
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    got = Allocation.objects.filter(subnet__pool=shared)
    assert got.count() == got.values("key").distinct().count() == CONCURRENT_TOTAL
    times = [t for client in results for t in client]
    lines.append(figures(f"{CLIENTS} concurrent clients, {CONCURRENT_TOTAL} allocations", times))
    lines.append(f"  wall {wall:.2f} s, {CONCURRENT_TOTAL / wall:,.0f} allocations/s")

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    header = f"--- IPAM allocation benchmark (PostgreSQL {version}, {os.cpu_count()} CPUs, load average {load}) ---"
    print("\n" + "\n".join([header, *lines]) + "\n", flush=True)
