"""A real Celery worker inside the test process, and waiting for what it does.

The action, polling and e2e tests each run ``start_worker`` on a queue of
their own (other workers sharing the broker must not take their tasks).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from celery.contrib.testing.worker import start_worker
from django.db import OperationalError

from portal.celery import app


@contextmanager
def queue_worker(queue: str, *, concurrency: int = 1, shutdown_timeout: float = 20) -> Iterator[object]:
    """A thread-pool worker consuming ``queue`` on the configured broker."""
    # start_worker(queues=...) narrows the app's consume set for the whole process
    # (celery's Queues.select): put it back so later workers consume their own queues.
    consume_from = app.amqp.queues._consume_from
    try:
        with start_worker(
            app,
            pool="threads",
            concurrency=concurrency,
            perform_ping_check=False,
            shutdown_timeout=shutdown_timeout,
            queues=[queue],
        ) as worker:
            yield worker
    finally:
        app.amqp.queues._consume_from = consume_from


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0, interval: float = 0.1) -> bool:
    """True as soon as ``predicate()`` is, False once ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except OperationalError:
            pass  # SQLite's shared in-memory test database: a writer held the table for a moment
        time.sleep(interval)
    return False
