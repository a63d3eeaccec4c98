"""A real ``celery -A portal worker`` process SIGKILLed in the middle of a reprovision.

What is left behind — the row ``running``, its lease, a heartbeat that
stopped, a message nobody will ack — is recovered by the reaper: the action
is requeued with a step saying which worker went silent, and another worker
finishes it. PostgreSQL only: the worker process must share the test
database (SQLite's test database lives in this process's memory); CI runs
on PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from devices import actions
from devices.choices import ActionKind, ActionStatus
from devices.models import DeviceAction, DeviceLease
from tests.devices.actions.conftest import (
    ACTION_QUEUE,
    cpe_for,
    fleet_devices,
    make_tenant_for_fleet,
    set_faults,
    step_messages,
    wait_finished,
    wait_for,
)

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

REPO_ROOT = Path(__file__).resolve().parents[3]


def _worker_process(queue: str) -> subprocess.Popen:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "NOC_ACTION_QUEUE": queue,
        "NOC_ACTION_HEARTBEAT_S": "0.2",
        "NOC_ACTION_LEASE_S": "2",
        "NOC_ACTION_DEVICE_TIMEOUT_S": "2",
    }
    celery = str(Path(sys.executable).with_name("celery"))
    command = [celery, "-A", "portal", "worker", "-Q", queue, "--pool=threads", "--concurrency=1"]
    command += ["--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    return subprocess.Popen(
        [*command, "-n", f"doomed-{os.getpid()}@%h"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_killed_worker_process_leaves_a_recoverable_action(tenant_a, action_fleet, action_worker, action_settings):
    if connection.vendor != "postgresql":
        pytest.skip("the worker process needs the shared PostgreSQL test database")
    doomed_queue = f"{ACTION_QUEUE}-doomed"
    action_settings.NOC_ACTION_QUEUE = doomed_queue
    device = fleet_devices(action_fleet, "halny")[3]
    cpe = cpe_for(make_tenant_for_fleet(tenant_a), device)
    set_faults(action_fleet, device.serial, latency_ms=200)  # a reprovision now takes ~25 s
    worker = _worker_process(doomed_queue)
    try:
        action, _ = actions.request_action(cpe, ActionKind.REPROVISION)
        assert wait_for(lambda: DeviceAction.objects.get(pk=action.pk).steps.count() >= 4, timeout=60), step_messages(
            action
        )
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
        set_faults(action_fleet, device.serial, latency_ms=0)
    action.refresh_from_db()
    assert action.status == ActionStatus.RUNNING and DeviceLease.objects.filter(action=action).exists()

    # The next reaper round after the lease ran out (2 s) sends it to the live worker.
    action_settings.NOC_ACTION_QUEUE = ACTION_QUEUE
    assert wait_for(lambda: actions.reap_lost()["requeued"] == 1, timeout=20)
    wait_finished(action, timeout=60)
    messages = step_messages(action)
    assert action.status == ActionStatus.SUCCEEDED, messages
    assert action.attempts == 2
    assert any("went silent" in m and "requeued by the reaper" in m for m in messages), messages
    assert action.result["drift"]["in_sync"]
