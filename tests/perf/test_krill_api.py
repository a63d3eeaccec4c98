"""Benchmark: the Krill CRM API over 100,000 CPEs in PostgreSQL, through gunicorn on loopback.

Run on demand (tests/perf is left out of the default run)::

    .venv/bin/pytest tests/perf/test_krill_api.py -s -o addopts="" -p no:cacheprovider

What it does:

1. creates the database of ``NOC_PERF_DATABASE_URL``
   (default ``postgres://postgres@127.0.0.1:5432/noc_perf``) if missing,
   migrates it and bulk-loads ``NOC_PERF_CPES`` (100,000) CPEs, as many
   subscribers and a POTS line on every third CPE (tests/perf/krill_load.py;
   a second run reuses the data);
2. starts gunicorn (2 sync workers) on a free 127.0.0.1 port;
3. drives it with a small asyncio httpx load generator, bounded in requests
   (``NOC_PERF_REQUESTS``) and time (60 s per scenario), ``NOC_PERF_CONCURRENCY``
   (4) requests in flight, loopback only;
4. prints p50/p95/max latency and requests/s per scenario; asserts only
   that every request answered 200.
"""

from __future__ import annotations

import asyncio
import logging
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import pytest

from tests.perf.gunicorn_server import gunicorn, load_data, manage

pytestmark = pytest.mark.perf

DATABASE_URL = os.environ.get("NOC_PERF_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/noc_perf")
CPES = int(os.environ.get("NOC_PERF_CPES", "100000"))
REQUESTS = int(os.environ.get("NOC_PERF_REQUESTS", "400"))
CONCURRENCY = int(os.environ.get("NOC_PERF_CONCURRENCY", "4"))
SCENARIO_TIMEOUT_S = 60.0


def _ensure_database(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


@dataclass
class Result:
    name: str
    latencies: list[float]
    errors: int
    seconds: float

    def report(self) -> str:
        lat = sorted(self.latencies)
        p50 = statistics.median(lat) * 1000
        p95 = lat[max(0, int(len(lat) * 0.95) - 1)] * 1000
        return (
            f"{self.name:<48} n={len(lat):>4}  p50={p50:7.1f} ms  p95={p95:7.1f} ms  "
            f"max={lat[-1] * 1000:7.1f} ms  {len(lat) / self.seconds:7.1f} req/s  errors={self.errors}"
        )


async def measure(
    name: str, client: httpx.AsyncClient, next_path: Callable[[], str | None], concurrency: int
) -> Result:
    """``concurrency`` workers GET ``next_path()`` until it answers None: each latency, non-200 answers as errors."""
    latencies: list[float] = []
    errors = 0

    async def worker() -> None:
        nonlocal errors
        while (path := next_path()) is not None:
            t0 = time.perf_counter()
            response = await client.get(path)
            latencies.append(time.perf_counter() - t0)
            if response.status_code != 200:
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Result(name, latencies, errors, time.perf_counter() - started)


async def _drive(base: str, token: str, name: str, paths: list[str]) -> Result:
    """Send ``paths`` with CONCURRENCY in flight; bounded by the list and SCENARIO_TIMEOUT_S."""
    waiting = iter(paths)
    deadline = time.perf_counter() + SCENARIO_TIMEOUT_S
    headers = {"Authorization": f"Bearer {token}", "X-Tenant-ID": "perf"}
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)

    def next_path() -> str | None:
        return next(waiting, None) if time.perf_counter() < deadline else None

    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30.0, limits=limits, trust_env=False) as c:
        return await measure(name, c, next_path, CONCURRENCY)


@pytest.fixture(scope="module")
def server():
    env = {**os.environ, "DATABASE_URL": DATABASE_URL, "DEBUG": "false", "CONN_MAX_AGE": "60"}
    env.pop("PYTEST_CURRENT_TEST", None)
    _ensure_database(DATABASE_URL)
    t0 = time.perf_counter()
    manage(env, "migrate", "-v0")
    data = load_data(env, "tests.perf.krill_load", CPES)
    print(
        f"\ndata: {data['cpes']} CPEs, {data['subscribers']} subscribers, {data['potses']} POTS lines "
        f"({'loaded' if data['loaded'] else 'reused'} in {time.perf_counter() - t0:.1f} s)"
    )
    with gunicorn(env, "/api/v2/me", (200, 401)) as base:
        yield base, data


def test_krill_api_throughput(server):
    base, data = server
    # One log line per request would cost the load generator more CPU than the requests.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    token, sns = data["token"], data["sns"]
    n = REQUESTS
    scenarios = {
        "GET cpes/?limit=100&joins=customer,potses": [
            f"/api/v2/isp/cpes/?limit=100&offset={(i * 100) % CPES}&joins=customer,potses" for i in range(n // 4)
        ],
        "GET cpes/?limit=100": [f"/api/v2/isp/cpes/?limit=100&offset={(i * 100) % CPES}" for i in range(n // 4)],
        "GET cpes/?sn=<serial>": [f"/api/v2/isp/cpes/?sn={sns[i % len(sns)]}" for i in range(n)],
        "GET cpes/?sn=<serial>&attrs=id,cpename": [
            f"/api/v2/isp/cpes/?sn={sns[i % len(sns)]}&attrs=id,cpename" for i in range(n)
        ],
    }
    # Warm-up: both workers connected to the database, code paths imported.
    asyncio.run(_drive(base, token, "warm-up", [path for paths in scenarios.values() for path in paths[:4]]))
    print(f"\ngunicorn 2 workers @ 127.0.0.1, concurrency {CONCURRENCY}, {os.cpu_count()} CPUs")
    results = [asyncio.run(_drive(base, token, name, paths)) for name, paths in scenarios.items()]
    for result in results:
        print(result.report())
    assert all(r.errors == 0 for r in results), [r.report() for r in results]
    # Sanity: one sn lookup is one record.
    body = httpx.get(
        f"{base}/api/v2/isp/cpes/?sn={sns[0]}",
        headers={"Authorization": f"Bearer {token}", "X-Tenant-ID": "perf"},
        trust_env=False,
    ).json()
    assert body["count"] == 1
