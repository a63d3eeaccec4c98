"""Concurrent billing runs and replayed payments on PostgreSQL, with real transactions.

Each thread has its own database connection, so these are genuinely
concurrent transactions racing on the same rows (SQLite serializes writers
and proves nothing here, so the tests skip there).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from django.db import connection, connections

from billing import services
from billing.choices import PaymentMethod
from billing.models import Invoice, InvoiceNumberSequence, Payment
from tests.billing.helpers import make_plan, pay_eur, subscribed

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs PostgreSQL row locks"),
]

THREADS = 6


def race(n: int, work: Callable[[int], object]) -> list:
    """Run ``work(i)`` in ``n`` threads released at the same instant; return results (or exceptions)."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def target(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # the test inspects it
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_concurrent_billing_runs_bill_each_subscriber_once_with_gapless_numbers(tenant_a):
    assert connection.vendor == "postgresql"
    plan = make_plan(tenant_a)
    subscribers = [subscribed(tenant_a, plan, name=f"S{i}") for i in range(120)]
    issued = datetime(2026, 12, 1, tzinfo=UTC)

    results = race(THREADS, lambda i: services.run_billing(tenant_a, "2026-11", now=issued, chunk_size=25))

    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    assert sum(r.created for r in results) == len(subscribers)
    assert all(r.created + r.already_invoiced == len(subscribers) for r in results)
    invoiced = list(Invoice.objects.filter(tenant=tenant_a).values_list("subscriber_id", flat=True))
    assert sorted(invoiced) == sorted(s.pk for s in subscribers)  # exactly one each
    numbers = sorted(Invoice.objects.filter(tenant=tenant_a).values_list("number_seq", flat=True))
    assert numbers == list(range(1, len(subscribers) + 1))  # no gaps, no duplicates
    assert InvoiceNumberSequence.objects.get(tenant=tenant_a, year=2026).last_number == len(subscribers)


def test_concurrent_replays_of_one_idempotency_key_record_one_payment(tenant_a):
    subscriber = subscribed(tenant_a)
    body = {"subscriber": subscriber.pk, "amount": "25.00"}

    def replay(_i: int):
        return pay_eur(
            tenant_a,
            subscriber,
            "25.00",
            date(2026, 12, 2),
            method=PaymentMethod.CARD,
            idempotency_key="crm-7f3a",
            fingerprint=services.request_fingerprint(body),
        )

    results = race(THREADS, replay)

    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    assert Payment.objects.filter(tenant=tenant_a).count() == 1
    assert {r.payment.pk for r in results} == {Payment.objects.get().pk}
    assert sum(not r.replayed for r in results) == 1
