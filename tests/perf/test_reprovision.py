"""Benchmark: reprovision 1,000 simulated HALNy ONTs through real Celery workers; figures are printed.

Run on demand (tests/perf is left out of the default run)::

    .venv/bin/pytest tests/perf/test_reprovision.py -s -o addopts=""

Everything is real: PostgreSQL, Redis as the broker, the simulated fleet in
its own process (``python -m simulators``) and N ``celery -A
portal worker`` processes. If the suite runs on SQLite (no DATABASE_URL) the
test runs itself again in a subprocess against
``NOC_PERF_ACTIONS_DATABASE_URL`` (default
``postgres://postgres@127.0.0.1:5432/noc_perf_actions``; pytest-django creates
and drops ``test_noc_perf_actions``) and ``NOC_PERF_ACTIONS_BROKER_URL``
(default ``redis://127.0.0.1:6379/13``).

Knobs: ``NOC_PERF_ONTS`` (1000), ``NOC_PERF_WORKERS`` (worker processes, 2),
``NOC_PERF_CONCURRENCY`` (threads per worker, 8).

Measured: wall time from the batch request to the last action finished,
actions/s, per-action run time percentiles, device requests/s. Asserted:
every action succeeded and every ONT's read-back matches the rendered
configuration (drift in sync).
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from devices import actions
from devices.choices import ActionKind, ActionStatus, ManagementScheme
from devices.demo import ensure_profiles
from devices.models import Cpe, DeviceAction
from devices.selectors import CPE_RELATED
from devices.services import ensure_catalogue
from simulators.manifest import generate_manifest, load_manifest, write_manifest
from subscribers.models import PotsLine, Subscriber
from tests.factories import TenantFactory
from tests.perf.postgres import rerun_on_postgresql, server_version

pytestmark = pytest.mark.perf

REPO_ROOT = Path(__file__).resolve().parents[2]
ONTS = int(os.environ.get("NOC_PERF_ONTS", "1000"))
WORKERS = int(os.environ.get("NOC_PERF_WORKERS", "2"))
CONCURRENCY = int(os.environ.get("NOC_PERF_CONCURRENCY", "8"))
PERF_DATABASE_URL = os.environ.get(
    "NOC_PERF_ACTIONS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/noc_perf_actions"
)
PERF_BROKER_URL = os.environ.get("NOC_PERF_ACTIONS_BROKER_URL", "redis://127.0.0.1:6379/13")
BASE_ADDRESS = "127.90.0.1"


def test_reprovision_on_sqlite_reruns_on_postgresql_and_redis():
    rerun_on_postgresql(__file__, DATABASE_URL=PERF_DATABASE_URL, CELERY_BROKER_URL=PERF_BROKER_URL)


def _start_fleet(workdir: Path) -> tuple[subprocess.Popen, list]:
    manifest_in = write_manifest(
        workdir / "manifest-in.json", generate_manifest(ONTS, seed=7, mix={"halny": 1.0}, base_address=BASE_ADDRESS)
    )
    manifest_out = workdir / "manifest.json"
    manifest_out.unlink(missing_ok=True)
    fleet = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulators",
            "--manifest",
            str(manifest_in),
            "--out",
            str(manifest_out),
            "--control-port",
            "0",
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 300
    assert fleet.stdout is not None
    while time.monotonic() < deadline:
        line = fleet.stdout.readline()
        if not line and fleet.poll() is not None:
            raise RuntimeError(f"fleet exited with {fleet.returncode}")
        if line.startswith("fleet ready"):
            print(line.strip(), flush=True)
            break
    else:
        fleet.kill()
        raise TimeoutError("fleet did not start")
    return fleet, load_manifest(manifest_out)


def _start_workers(queue: str) -> list[subprocess.Popen]:
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": PERF_BROKER_URL,
        "NOC_ACTION_QUEUE": queue,
        "NOC_TESTING": "0",
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    celery = str(Path(sys.executable).with_name("celery"))
    return [
        subprocess.Popen(
            [
                celery,
                "-A",
                "portal",
                "worker",
                "-Q",
                queue,
                "--pool=threads",
                f"--concurrency={CONCURRENCY}",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"perf{i}@%h",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(WORKERS)
    ]


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.mark.django_db(transaction=True)
def test_reprovision_1000_onts_through_real_workers(settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the benchmark runs on PostgreSQL (see the test above)")
    queue = f"perf-actions-{os.getpid()}"
    settings.NOC_ACTION_QUEUE = queue
    processes: list[subprocess.Popen] = []
    try:
        fleet, devices = _start_fleet(tmp_path)
        processes.append(fleet)

        started = time.perf_counter()
        tenant = TenantFactory(slug="perf-actions", name="Perf ISP", realm="prf", management_networks=["127.0.0.0/8"])
        catalogue = ensure_catalogue()
        profiles = ensure_profiles(tenant)
        customers = Subscriber.objects.bulk_create(
            [Subscriber(tenant=tenant, name=f"S{i}", surname="Perf", country="Poland") for i in range(ONTS)]
        )
        cpes = Cpe.objects.bulk_create(
            [
                Cpe(
                    tenant=tenant,
                    sn=d.serial,
                    cpename=f"prf{i:05d}",
                    model=catalogue[d.model],
                    tech="gpon",
                    customer=customers[i],
                    mac=d.mac,
                    bridge=not catalogue[d.model].is_router,
                    profile=profiles["ftth"],
                    tv_profile=profiles["tv"] if i % 3 == 0 else None,
                    voip_profile=profiles["voip"] if catalogue[d.model].pots_ports else None,
                    wifi_profile=profiles["wifi"] if catalogue[d.model].wifi else None,
                    address_profile=profiles["lan"],
                    pppoe_password=f"ppp-{i:05d}",
                    wifi_password=f"wifi-pass-{i:05d}",
                    management_address=d.address,
                    management_port=d.port,
                    management_scheme=ManagementScheme.HTTP,
                    management_username=d.username,
                    management_password=d.password,
                )
                for i, d in enumerate(devices)
            ],
            batch_size=500,
        )
        PotsLine.objects.bulk_create(
            [
                PotsLine(
                    tenant=tenant, cpe=c, order=1, lineid=f"{c.cpename}-1", username=f"{c.cpename}-1", password="x"
                )
                for c in cpes
                if c.model.pots_ports
            ],
            batch_size=500,
        )
        setup_s = time.perf_counter() - started

        processes += _start_workers(queue)
        time.sleep(3)  # let the workers connect before the clock starts

        started = time.perf_counter()
        selected = Cpe.objects.filter(tenant=tenant).select_related(*CPE_RELATED).prefetch_related("potses")
        batch = actions.request_batch(
            tenant, ActionKind.REPROVISION, selected, selection={"filter": {"family": "halny"}}
        )
        queued_s = time.perf_counter() - started
        assert batch.total == ONTS, batch.skipped[:3]

        deadline = time.monotonic() + 1800
        progress_at = time.monotonic()
        while time.monotonic() < deadline:
            totals = actions.batch_totals(batch)
            if totals["done"]:
                break
            if time.monotonic() - progress_at > 10:
                progress_at = time.monotonic()
                print(f"  {time.perf_counter() - started:6.1f} s: {totals['totals']}", flush=True)
            time.sleep(0.5)
        wall_s = time.perf_counter() - started

        rows = list(
            DeviceAction.objects.filter(batch=batch).values("status", "attempts", "started", "finished", "result")
        )
        statuses = {s: sum(1 for r in rows if r["status"] == s) for s in ActionStatus.values}
        assert statuses[ActionStatus.SUCCEEDED] == ONTS, statuses
        assert all(r["result"]["drift"]["in_sync"] for r in rows), "a read-back differs from the rendered config"
        durations = sorted((r["finished"] - r["started"]).total_seconds() for r in rows)
        retried = sum(1 for r in rows if r["attempts"] > 1)
        writes = sum(len(r["result"]["written"]) + len(r["result"]["applied"]) for r in rows)
        reads = sum(r["result"]["drift"]["sections"] for r in rows)
        first_start = min(r["started"] for r in rows)
        last_finish = max(r["finished"] for r in rows)
    finally:
        _stop(processes)

    def pct(p: float) -> float:
        return durations[min(len(durations) - 1, int(p * len(durations)))]

    pg_version = server_version()
    print(
        f"\n--- reprovision benchmark: {ONTS:,} HALNy ONTs, {WORKERS} worker process(es) x {CONCURRENCY} threads, "
        f"PostgreSQL {pg_version}, Redis broker, {os.cpu_count()} CPUs ---\n"
        f"setup (CPEs, subscribers, POTS lines):   {setup_s:.1f} s\n"
        f"batch request (check + rows + enqueue):   {queued_s:.2f} s\n"
        f"wall time, request to last finished:      {wall_s:.1f} s\n"
        f"throughput:                               {ONTS / wall_s:.1f} actions/s "
        f"({(last_finish - first_start).total_seconds():.1f} s from first start to last finish)\n"
        f"per action run time:                      p50 {pct(0.5):.2f} s, p90 {pct(0.9):.2f} s, "
        f"p99 {pct(0.99):.2f} s, max {durations[-1]:.2f} s, mean {statistics.mean(durations):.2f} s\n"
        f"device requests:                          {writes:,} writes/applies + {reads:,} read-backs "
        f"= {(writes + reads) / wall_s:,.0f} requests/s\n"
        f"retried actions:                          {retried}\n"
        f"statuses:                                 {json.dumps({k: v for k, v in statuses.items() if v})}\n",
        flush=True,
    )
