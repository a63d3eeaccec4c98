"""A real gunicorn serving the portal on a free loopback port, for the HTTP benchmarks."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(
    env: dict[str, str], ready_path: str, ready_statuses: Iterable[int] = (200,), workers: int = 2
) -> Iterator[str]:
    """Start ``gunicorn portal.wsgi``, wait until ``ready_path`` answers, yield its base URL, stop it."""
    port = free_port()
    binary = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen(
        [str(binary), "portal.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=REPO_ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    statuses = set(ready_statuses)
    try:
        for _ in range(100):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}{ready_path}", timeout=2, trust_env=False).status_code in statuses:
                    break
            time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not start")
        yield base
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=20)
        if proc.poll() is None:
            proc.kill()


def manage(env: dict[str, str], *arguments: str) -> None:
    """``manage.py <arguments>`` against the benchmark's database (``env["DATABASE_URL"]``)."""
    subprocess.run([sys.executable, "manage.py", *arguments], cwd=REPO_ROOT, env=env, check=True)


def load_data(env: dict[str, str], loader: str, cpes: int) -> dict:
    """Run a loader module (``python -m <loader> <cpes>``) and return the JSON summary it prints last."""
    loaded = subprocess.run(
        [sys.executable, "-m", loader, str(cpes)],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(loaded.stdout.strip().splitlines()[-1])
