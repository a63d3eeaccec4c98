"""Benchmark: one billing run for 100,000 subscribers on PostgreSQL; figures are printed.

Run on demand (tests/perf is left out of the default run)::

    .venv/bin/pytest tests/perf/test_billing_run.py -s -o addopts=""

Needs PostgreSQL. If the suite runs on SQLite (no DATABASE_URL), the test
runs itself again in a subprocess against ``NOC_PERF_BILLING_DATABASE_URL``
(default ``postgres://postgres@127.0.0.1:5432/noc_perf_billing``;
pytest-django creates and drops ``test_noc_perf_billing``). Knob:
``NOC_PERF_SUBSCRIBERS`` (100000).

Measured: a first run (every subscriber invoiced: invoices, lines, numbers,
in committed chunks) and a repeated run (every subscriber "already
invoiced"). Asserted: exactly one invoice per subscriber and gapless
numbers; the rest is printed.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing import services
from billing.models import Invoice, InvoiceLine, Plan, Subscription
from subscribers.models import Subscriber
from tests.factories import TenantFactory
from tests.perf.postgres import rerun_on_postgresql, server_version

pytestmark = pytest.mark.perf

SUBSCRIBERS = int(os.environ.get("NOC_PERF_SUBSCRIBERS", "100000"))
PERF_DATABASE_URL = os.environ.get(
    "NOC_PERF_BILLING_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/noc_perf_billing"
)
BATCH = 5000


def test_billing_run_on_sqlite_reruns_on_postgresql():
    rerun_on_postgresql(__file__, DATABASE_URL=PERF_DATABASE_URL)


@pytest.mark.django_db(transaction=True)
def test_billing_run_100k_subscribers():
    if connection.vendor != "postgresql":
        pytest.skip("the benchmark runs on PostgreSQL (see the test above)")
    tenant = TenantFactory(slug="perf", name="Perf ISP")
    plans = [
        Plan.objects.create(tenant=tenant, code=f"plan-{i}", name=f"Plan {i}", price=price, currency="EUR", tax_rate=23)
        for i, price in enumerate(["49.00", "69.00", "109.00"])
    ]

    started = time.perf_counter()
    for offset in range(0, SUBSCRIBERS, BATCH):
        rows = Subscriber.objects.bulk_create(
            [
                Subscriber(tenant=tenant, name=f"S{i}", surname="Perf")
                for i in range(offset, min(offset + BATCH, SUBSCRIBERS))
            ]
        )
        Subscription.objects.bulk_create(
            [
                Subscription(
                    tenant=tenant,
                    subscriber=s,
                    plan=plans[s.pk % 3],
                    # Every 10th starts mid-month: prorated.
                    start_date=date(2026, 11, 1 + s.pk % 28) if s.pk % 10 == 0 else date(2025, 1, 1),
                )
                for s in rows
            ]
        )
    setup_s = time.perf_counter() - started

    issued = datetime(2026, 12, 1, 6, tzinfo=UTC)
    with CaptureQueriesContext(connection) as first_queries:
        started = time.perf_counter()
        first = services.run_billing(tenant, "2026-11", now=issued)
        first_s = time.perf_counter() - started
    with CaptureQueriesContext(connection) as again_queries:
        started = time.perf_counter()
        again = services.run_billing(tenant, "2026-11", now=issued)
        again_s = time.perf_counter() - started

    assert first.created == SUBSCRIBERS
    assert (again.created, again.already_invoiced) == (0, SUBSCRIBERS)
    invoices = Invoice.objects.filter(tenant=tenant)
    assert invoices.count() == SUBSCRIBERS
    assert invoices.values("subscriber_id").distinct().count() == SUBSCRIBERS
    seqs = invoices.order_by("number_seq").values_list("number_seq", flat=True)
    assert seqs[0] == 1 and seqs[SUBSCRIBERS - 1] == SUBSCRIBERS  # unique + count → gapless
    lines = InvoiceLine.objects.filter(invoice__tenant=tenant).count()

    cpus = os.cpu_count()
    pg_version = server_version()
    print(
        f"\n--- billing run benchmark ({SUBSCRIBERS:,} subscribers, PostgreSQL {pg_version}, {cpus} CPUs) ---\n"
        f"setup (subscribers + subscriptions, bulk): {setup_s:.1f} s\n"
        f"first run:   {first_s:.2f} s wall, {first.created / first_s:,.0f} invoices/s, "
        f"{lines:,} lines, {len(first_queries)} SQL queries "
        f"({len(first_queries) / SUBSCRIBERS:.4f} per subscriber) + 2 COPY per chunk of {services.CHUNK_SIZE}\n"
        f"repeat run:  {again_s:.2f} s wall, {SUBSCRIBERS / again_s:,.0f} subscribers/s checked, "
        f"{len(again_queries)} SQL queries, 0 created / {again.already_invoiced:,} already invoiced\n",
        flush=True,
    )
