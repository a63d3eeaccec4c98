"""Benchmark: one full poll round of a 5,000-device simulated fleet, database writes included.

Run on demand (tests/perf is left out of the default run)::

    .venv/bin/pytest tests/perf/test_fleet_poll_db.py -s -o addopts=""

Needs PostgreSQL: on SQLite (no DATABASE_URL) the test runs itself again in
a subprocess against ``NOC_PERF_POLL_DATABASE_URL`` (default
``postgres://postgres@127.0.0.1:5432/noc_perf_poll``; pytest-django creates
and drops ``test_noc_perf_poll``).

The fleet runs in its own process, started by the bare-driver benchmark's
fixture (tests/perf/test_poll_fleet.py: same knobs, ``NOC_PERF_DEVICES``
defaults to 5000 here, ``NOC_PERF_BASE_ADDRESS`` to 127.62.0.1,
``NOC_PERF_CONCURRENCY`` 100). Printed side by side:

- **drivers, no DB**: that benchmark's driver pass (status + signal +
  clients per device through the drivers, ``CONCURRENCY`` in flight) — the
  figure of the drivers issue, on this fleet;
- **round 1 / round 2**: ``devices.polling`` rounds as the Celery worker
  runs them — the round planned, batches of ``NOC_PERF_POLL_BATCH`` (250)
  taken by ``NOC_PERF_POLL_WORKERS`` (2) threads (the worker's thread
  pool), each batch claimed, polled through the drivers (``CONCURRENCY`` in
  flight) and written (DeviceState bulk_update, samples bulk_create, alerts).
  Round 1 creates the state rows; round 2 is the steady state.

Asserted: every device answered and was written; the figures are printed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import threading
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from devices import polling
from devices.models import Cpe, DeviceSample, DeviceState
from devices.services import ensure_catalogue
from tests.devices.simulated import management_fields
from tests.factories import TenantFactory
from tests.perf.postgres import rerun_on_postgresql, server_version

os.environ.setdefault("NOC_PERF_DEVICES", "5000")
# Its own loopback range (the bare benchmark's default is 127.60): both can run side by side.
os.environ.setdefault("NOC_PERF_BASE_ADDRESS", "127.62.0.1")

from tests.perf.test_poll_fleet import (  # the knob above must be set first
    CONCURRENCY,
    DEVICES,
    PassResult,
    _run_pass,
    fleet,  # noqa: F401  (the fixture: the fleet in its own process)
    poll_with_driver,
    quiet_httpx,  # noqa: F401  (fixture)
)

pytestmark = pytest.mark.perf

PERF_DATABASE_URL = os.environ.get("NOC_PERF_POLL_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/noc_perf_poll")
BATCH = int(os.environ.get("NOC_PERF_POLL_BATCH", "250"))
WORKERS = int(os.environ.get("NOC_PERF_POLL_WORKERS", "2"))


def test_fleet_poll_on_sqlite_reruns_on_postgresql():
    rerun_on_postgresql(__file__, DATABASE_URL=PERF_DATABASE_URL)


def _create_cpes(devices) -> int:
    tenant = TenantFactory(slug="perf-poll", name="Perf Poll ISP", realm="prf", management_networks=["127.0.0.0/8"])
    catalogue = ensure_catalogue()
    rows = [
        Cpe(
            tenant=tenant,
            cpename=f"prf{i:05d}",
            model=catalogue[d.model],
            tech=catalogue[d.model].tech,
            **management_fields(d),
        )
        for i, d in enumerate(devices)
    ]
    Cpe.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _round(options, workers: int):
    """One round as the worker runs it: plan, then batches taken by ``workers`` threads."""
    t0 = time.perf_counter()
    batches = polling.plan_round(BATCH)
    todo: queue.Queue[list[int]] = queue.Queue()
    for ids in batches:
        todo.put(ids)
    reports: list[polling.BatchReport] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            while True:
                try:
                    ids = todo.get_nowait()
                except queue.Empty:
                    return
                reports.append(polling.poll_batch(ids, options))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, name=f"poll-worker-{n}") for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - t0, reports


@pytest.mark.django_db(transaction=True)
def test_fleet_poll_with_database_writes(request, quiet_httpx):  # noqa: F811
    if connection.vendor != "postgresql":
        pytest.skip("the benchmark runs on PostgreSQL (see the test above)")
    # Asked for here, not as an argument: the SQLite run that re-runs this file
    # must not hold the fleet's addresses while its PostgreSQL child binds them.
    sims = request.getfixturevalue("fleet")
    logging.getLogger("devices.polling").setLevel(logging.WARNING)  # one line per batch is noise here
    devices = sims.devices
    t0 = time.perf_counter()
    count = _create_cpes(devices)
    setup_s = time.perf_counter() - t0
    options = polling.PollSettings(concurrency=CONCURRENCY, timeout_s=5.0, deadline_s=20.0)

    first_s, first = _round(options, WORKERS)
    bare = asyncio.run(_run_pass(PassResult("drivers, no DB"), sims, poll_with_driver))
    second_s, second = _round(options, WORKERS)

    # The write phase's SQL does not grow with the batch: same count for 50 and 250 devices.
    ids = list(DeviceState.objects.order_by("cpe_id").values_list("cpe_id", flat=True))
    per_batch = {}
    for size in (50, BATCH):
        with CaptureQueriesContext(connection) as captured:
            polling.poll_batch(ids[:size], options)
        per_batch[size] = len(captured)

    reached = sum(r.reached for r in second)
    assert reached == count, f"{count - reached} devices did not answer in round 2"
    assert sum(r.reached for r in first) == count
    assert DeviceState.objects.filter(online=True).count() == count
    assert DeviceSample.objects.count() >= 2 * count
    # 10 with no alert change; opening and closing alerts add one statement each.
    assert max(per_batch.values()) <= 12, per_batch

    pg_version = server_version()

    def row(name: str, wall: float, reports) -> str:
        poll = sum(r.poll_s for r in reports)
        write = sum(r.write_s for r in reports)
        return (
            f"{name:<30}{count / wall:>10.0f}{wall:>9.2f}{poll:>14.1f}{write:>13.2f}"
            f"{1000 * write / count:>16.3f}{sum(r.missed for r in reports):>7}"
        )

    print(
        f"\n--- fleet poll with database writes: {count:,} devices, PostgreSQL {pg_version}, "
        f"{os.cpu_count()} CPUs, fleet in a separate process ---\n"
        f"setup: {count:,} CPEs bulk-created in {setup_s:.1f} s; batches of {BATCH}, {WORKERS} worker threads, "
        f"{CONCURRENCY} devices in flight per batch\n"
        f"{'':<30}{'devices/s':>10}{'wall s':>9}{'sum poll s':>14}{'sum write s':>13}"
        f"{'write ms/device':>16}{'miss':>7}\n"
        f"{'drivers, no DB (drivers issue)':<30}{bare.devices / bare.wall_s:>10.0f}{bare.wall_s:>9.2f}"
        f"{'':>14}{'':>13}{'':>16}{len(bare.failures):>7}\n"
        f"{row('round 1 (creates states)', first_s, first)}\n"
        f"{row('round 2 (steady state)', second_s, second)}\n"
        f"SQL queries of one batch (claim, load, write; +1 each when alerts open/close): "
        f"{per_batch[50]} for 50 devices, {per_batch[BATCH]} for {BATCH}\n"
        f"round 2 reaches {(count / second_s) / (bare.devices / bare.wall_s):.0%} of the no-DB driver rate "
        f"(NOC_PERF_DEVICES={DEVICES})",
        flush=True,
    )
