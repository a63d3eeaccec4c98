"""The benchmarks that need PostgreSQL: re-run from a SQLite suite, and name the server in the summary."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

REPO_ROOT = Path(__file__).resolve().parents[2]


def rerun_on_postgresql(test_file: str, **urls: str) -> None:
    """Run ``test_file`` again in a subprocess with ``urls`` (``DATABASE_URL=...``) in its environment.

    Skipped when the suite already runs on PostgreSQL: the benchmark itself runs there.
    """
    if connection.vendor == "postgresql":
        pytest.skip("already on PostgreSQL: the benchmark below runs here")
    command = [sys.executable, "-m", "pytest", test_file, "-s", "-o", "addopts=", "-p", "no:cacheprovider"]
    print(f"\nre-running on PostgreSQL ({', '.join(urls.values())}): {' '.join(command)}", flush=True)
    completed = subprocess.run(command, cwd=REPO_ROOT, env={**os.environ, **urls}, check=False)
    assert completed.returncode == 0


def server_version() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]
