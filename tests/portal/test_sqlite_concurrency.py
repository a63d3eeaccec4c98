"""The embedded SQLite default under its own demo's concurrency: no "database is locked", no 5xx.

What ``make run`` starts, as real processes on a temp SQLite file: the web server, a Celery worker
(threads pool, concurrency 2), beat polling every 5 s, and the small demo fleet on loopback. For a
bounded time a few threads drive Krill v2 writes (CPE PATCH, customer create, device actions) and
page reads through httpx. Every process's log must be free of "database is locked" and no response
may be a 5xx. Deferred transactions (Django's default) hit SQLite's lock-upgrade error, which does not
wait for the busy timeout; ``transaction_mode: IMMEDIATE`` (portal/settings.py) is what makes this pass.

SQLite only: on PostgreSQL (DATABASE_URL set for the suite) there is nothing to show.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from django.conf import settings

from tests.devices.conftest import process_octet
from tests.perf.gunicorn_server import free_port

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="the embedded SQLite default only",
)

REPO_ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "sqlite-stack-demo"
# How long the traffic runs: long enough for several poll rounds (5 s) and reaper/heartbeat ticks.
TRAFFIC_SECONDS = int(os.environ.get("NOC_TEST_TRAFFIC_SECONDS", "30"))
# Loopback networks of the moved demo fleet (tests/devices/conftest.py keeps the plan): 127.91.<process>.x.
LOOPBACK = 91


def stack_env(directory: Path, fleet_network: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CELERY_", "NOC_", "DJANGO_"))}
    env.update(
        NOC_VAR_DIR=str(directory),  # var/portal.sqlite3 and the filesystem broker, both in the temp dir
        DJANGO_SETTINGS_MODULE="portal.settings",
        NOC_POLL_INTERVAL_SECONDS="5",
        NOC_POLL_TIMEOUT_SECONDS="2",
        NOC_POLL_DEVICE_DEADLINE_SECONDS="4",
        NOC_ACTION_DEVICE_TIMEOUT_S="3",
        NOC_ACTION_RETRY_BASE_S="0.2",
        NOC_ACTION_RETRY_MAX_S="1",
        NOC_ACTION_MAX_ATTEMPTS="2",
        # The portal contacts loopback devices only in the simulator networks it is told of: the moved fleet's.
        NOC_SIMULATOR_NETWORKS=fleet_network,
        PYTHONUNBUFFERED="1",
    )
    return env


class Stack:
    """The processes of ``make run``, each logging to <dir>/<name>.log; stop() ends them all."""

    def __init__(self, directory: Path, env: dict[str, str]):
        self.directory, self.env = directory, env
        self.processes: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}

    def start(self, name: str, *command: str) -> None:
        log = self.directory / f"{name}.log"
        self.logs[name] = log
        with log.open("wb") as out:
            self.processes[name] = subprocess.Popen(
                command, cwd=REPO_ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=15)
            if process.poll() is None:
                process.kill()
                process.wait(timeout=5)

    def log_text(self, name: str) -> str:
        return self.logs[name].read_text(encoding="utf-8", errors="replace")


def wait_until_up(base: str, stack: Stack) -> None:
    for _ in range(150):
        if stack.processes["web"].poll() is not None:
            raise AssertionError("the web server exited:\n" + stack.log_text("web")[-3000:])
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/login/", timeout=2, trust_env=False).status_code == 200:
                return
        time.sleep(0.2)
    raise AssertionError("the web server did not answer /login/:\n" + stack.log_text("web")[-3000:])


def api_client(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30, trust_env=False)
    login = client.post("/api/v2/auth/login", json={"username": "admin", "password": PASSWORD})
    assert login.status_code == 200, login.text
    client.headers.update({"Authorization": f"Bearer {login.json()['access']}", "X-Tenant-ID": "demo"})
    return client


def page_client(base: str, tenant_id: int) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30, trust_env=False, follow_redirects=True)
    client.get("/login/")
    answer = client.post(
        "/login/",
        data={"username": "noc", "password": PASSWORD, "csrfmiddlewaretoken": client.cookies["csrftoken"]},
        headers={"Referer": f"{base}/login/"},
    )
    assert answer.status_code == 200 and "/login/" not in str(answer.url), answer.text[:500]
    # The demo tenant's pages (noc works for both tenants).
    token = client.cookies["csrftoken"]
    switched = client.post("/tenant/switch/", data={"tenant": tenant_id, "csrfmiddlewaretoken": token})
    assert switched.status_code == 200, switched.text[:500]
    return client


def test_the_sqlite_default_serves_web_worker_beat_and_fleet_without_lock_errors(tmp_path):
    prefix = f"127.{LOOPBACK}.{process_octet()}"
    env = stack_env(tmp_path, f"{prefix}.0/24")
    networks = {"demo": f"{prefix}.0/25", "acme": f"{prefix}.128/25"}
    seeding = (
        f"from tests.portal.sqlite_stack import seed; seed({str(tmp_path)!r}, {json.dumps(networks)!r}, {PASSWORD!r})"
    )
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", seeding],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        timeout=180,
        stdout=subprocess.DEVNULL,
    )
    celery = str(Path(sys.executable).with_name("celery"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    stack = Stack(tmp_path, env)
    statuses: Counter[str] = Counter()
    failures: list[str] = []
    samples: dict[str, str] = {}  # the first answer of each error status, for the failure message
    try:
        stack.start(
            "fleet",
            sys.executable,
            "-m",
            "simulators",
            "--manifest",
            str(tmp_path / "fleet.json"),
            "--out",
            str(tmp_path / "fleet-served.json"),
            "--control-port",
            "0",
        )
        stack.start("web", sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload")
        stack.start("worker", celery, "-A", "portal", "worker", "--loglevel=INFO", "--concurrency=2", "--pool=threads")
        stack.start(
            "beat",
            celery,
            "-A",
            "portal",
            "beat",
            "--loglevel=INFO",
            "--schedule",
            str(tmp_path / "celerybeat-schedule"),
        )
        wait_until_up(base, stack)

        api = api_client(base)
        cpes = [c["id"] for c in api.get("/api/v2/isp/cpes/", params={"page_size": 100}).json()["results"]]
        assert cpes, "seed_demo --small made no demo CPEs"
        demo_tenant = api.get("/api/v2/me").json()["tenant"]["id"]
        deadline = time.monotonic() + TRAFFIC_SECONDS
        lock = threading.Lock()

        def record(kind: str, response: httpx.Response) -> None:
            with lock:
                statuses[f"{kind} {response.status_code // 100}xx"] += 1
                if response.status_code >= 400:
                    samples.setdefault(f"{kind} {response.status_code}", response.text[:300])
                if response.status_code >= 500:
                    failures.append(f"{kind} {response.request.method} {response.request.url} → {response.status_code}")

        def cpe_writer() -> None:
            with contextlib.closing(api_client(base)) as client:
                for n in itertools.count():
                    if time.monotonic() > deadline:
                        return
                    cpe = cpes[n % len(cpes)]
                    record("cpe-patch", client.patch(f"/api/v2/isp/cpes/{cpe}/", json={"latitude": 50 + n % 10 / 10}))

        def customer_writer() -> None:
            with contextlib.closing(api_client(base)) as client:
                for n in itertools.count():
                    if time.monotonic() > deadline:
                        return
                    body = {"name": "Load", "surname": f"Tester {n}", "city": "Kraków", "email": f"load{n}@example.pl"}
                    record("customer-create", client.post("/api/v2/isp/customers/", json=body))

        def action_writer() -> None:
            with contextlib.closing(api_client(base)) as client:
                for n in itertools.count():
                    if time.monotonic() > deadline:
                        return
                    cpe = cpes[n % len(cpes)]
                    kind = ("cwmp_diagnostic", "reconfig")[n % 2]
                    record("action-post", client.post(f"/api/v2/cpes/{cpe}/{kind}", json={"params": {}}))
                    time.sleep(0.15)

        def page_reader() -> None:
            with contextlib.closing(page_client(base, demo_tenant)) as client:
                for n in itertools.count():
                    if time.monotonic() > deadline:
                        return
                    path = ("/", "/devices/", "/subscribers/", f"/devices/{cpes[n % len(cpes)]}/", "/devices/actions/")
                    record("page", client.get(path[n % len(path)]))

        errors: list[BaseException] = []

        def guarded(target):
            def run() -> None:
                try:
                    target()
                except BaseException as exc:  # re-raised in the test's thread
                    errors.append(exc)

            return run

        threads = [
            threading.Thread(target=guarded(t), name=t.__name__)
            for t in (cpe_writer, customer_writer, action_writer, action_writer, page_reader, page_reader)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(TRAFFIC_SECONDS + 60)
        if errors:
            raise errors[0]
        time.sleep(3)  # the worker finishes what it took
    finally:
        stack.stop()

    locked = {name: stack.log_text(name).count("database is locked") for name in stack.logs}
    print(f"\nresponses: {dict(sorted(statuses.items()))}\nfirst errors: {samples}")
    print(f"'database is locked' per log: {locked}")
    assert failures == [], failures[:10]
    assert sum(locked.values()) == 0, locked
    # The stack really ran: writes went through and the worker polled and ran actions.
    assert statuses["cpe-patch 2xx"] and statuses["customer-create 2xx"] and statuses["action-post 2xx"], statuses
    assert statuses["page 2xx"], statuses
    assert "devices.poll_batch" in stack.log_text("worker"), stack.log_text("worker")[-3000:]
