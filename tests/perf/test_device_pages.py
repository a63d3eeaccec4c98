"""Benchmark: the device pages over 100,000 CPEs in PostgreSQL, through gunicorn on loopback.

Run on demand (tests/perf is left out of the default run)::

    .venv/bin/pytest tests/perf/test_device_pages.py -s -o addopts="" -p no:cacheprovider

1. creates the database of ``NOC_PERF_PAGES_DATABASE_URL`` (default
   ``postgres://postgres@127.0.0.1:5432/noc_perf_pages``), migrates it and
   bulk-loads ``NOC_PERF_CPES`` (100,000) CPEs with subscribers (the Krill
   loader, tests/perf/krill_load.py) plus live states, alerts, a day of
   samples for two CPEs and device actions (tests/perf/device_pages_load.py);
   a second run reuses the data;
2. starts gunicorn (2 sync workers) on a free 127.0.0.1 port, signed in as
   the tenant's NOC user through a database session;
3. requests each page ``NOC_PERF_PAGE_REQUESTS`` (60) times, 2 in flight,
   and prints p50/p95/max per page; asserts only that every answer is 200
   (like the other benchmarks: the figures are what to read).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import time

import httpx
import pytest

from tests.perf.gunicorn_server import gunicorn, load_data, manage
from tests.perf.test_krill_api import Result, _ensure_database, measure

pytestmark = pytest.mark.perf

DATABASE_URL = os.environ.get("NOC_PERF_PAGES_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/noc_perf_pages")
CPES = int(os.environ.get("NOC_PERF_CPES", "100000"))
REQUESTS = int(os.environ.get("NOC_PERF_PAGE_REQUESTS", "60"))
CONCURRENCY = 2


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # Production settings: hashed, compressed static files from a collectstatic this run owns.
    env = {
        **os.environ,
        "DATABASE_URL": DATABASE_URL,
        "DEBUG": "false",
        "CONN_MAX_AGE": "60",
        "STATIC_ROOT": str(tmp_path_factory.mktemp("static")),
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    _ensure_database(DATABASE_URL)
    t0 = time.perf_counter()
    manage(env, "migrate", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    data = load_data(env, "tests.perf.device_pages_load", CPES)
    print(
        f"\ndata: {data['cpes']} CPEs ({'loaded' if data['loaded'] else 'reused'} in {time.perf_counter() - t0:.1f} s)"
    )
    with gunicorn(env, "/login/", (200,)) as base:
        yield base, data


async def _drive(base: str, cookies: dict, name: str, path: str, n: int, headers: dict | None = None) -> Result:
    waiting = itertools.repeat(path, n)
    async with httpx.AsyncClient(
        base_url=base, cookies=cookies, headers=headers or {}, timeout=60.0, trust_env=False
    ) as client:
        return await measure(name, client, lambda: next(waiting, None), CONCURRENCY)


def test_device_pages_render_time(server):
    base, data = server
    logging.getLogger("httpx").setLevel(logging.WARNING)
    cookies = data["cookie"]
    # Sanity first: the session works and the list is the tenant's 100k.
    page = httpx.get(f"{base}/devices/", cookies=cookies, trust_env=False)
    assert page.status_code == 200 and "Devices" in page.text, page.status_code
    htmx = {"HX-Request": "true"}
    scenarios = [
        ("device list, page 1", "/devices/", None),
        ("device list, page 2,000 (offset 50k)", "/devices/?page=2000", None),
        ("device list, filtered (peplink, online)", "/devices/?family=peplink&status=online", None),
        ("device list, filtered (with open alerts)", "/devices/?alerting=true", None),
        ("device list, search serial (htmx)", f"/devices/?q={data['serial']}", htmx),
        ("device list, search subscriber (htmx)", f"/devices/?q={data['surname']}", htmx),
        ("device detail, ONT, 2,880 samples", f"/devices/{data['ont']}/", None),
        ("device detail, LTE router, 2,880 samples", f"/devices/{data['router']}/", None),
        ("device live panel (htmx)", f"/devices/{data['ont']}/live/", htmx),
        ("actions list, page 1 (5,000 actions)", "/devices/actions/", None),
    ]
    asyncio.run(_drive(base, cookies, "warm-up", "/devices/", 4))
    print(f"\ngunicorn 2 workers @ 127.0.0.1, {CONCURRENCY} in flight, {os.cpu_count()} CPUs, {data['cpes']} CPEs")
    results = [asyncio.run(_drive(base, cookies, name, path, REQUESTS, headers)) for name, path, headers in scenarios]
    for result in results:
        print(result.report())
    assert all(r.errors == 0 for r in results), [r.report() for r in results]
