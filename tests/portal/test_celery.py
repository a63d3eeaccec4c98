"""A real Celery worker (celery's testing worker) consuming from the configured broker.

Locally that is the filesystem broker under var/; in CI it is the machine's
Redis (CELERY_BROKER_URL). The task writes to the database, so the test sees
it complete end to end: broker → worker → task → database.
"""

import time

import pytest
from celery.contrib.testing.worker import start_worker

from portal.celery import app
from portal.models import TaskDelivery, WorkerHeartbeat
from portal.tasks import heartbeat
from tests.celery_worker import wait_for

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

# Named explicitly: an earlier test's start_worker(queues=[...]) narrows the app's
# consume set for the rest of the process (celery's Queues.select).
DEFAULT_QUEUE = [app.conf.task_default_queue]
WORKER = {"pool": "threads", "concurrency": 1, "perform_ping_check": False, "shutdown_timeout": 15}


@pytest.fixture(autouse=True)
def empty_queue():
    """Messages other tests enqueued without a worker must not run here."""
    app.control.purge()


def test_worker_runs_a_task_from_the_broker():
    with start_worker(app, queues=DEFAULT_QUEUE, **WORKER):
        heartbeat.delay()
        assert wait_for(lambda: WorkerHeartbeat.objects.exists()), "the worker never ran the heartbeat task"
    row = WorkerHeartbeat.objects.get()
    assert row.hostname != "unknown"
    # A task that finished leaves no delivery counter behind.
    assert not TaskDelivery.objects.exists()


def test_runaway_redelivery_is_bounded(settings):
    """A task delivered more often than NOC_TASK_MAX_DELIVERIES is rejected, not run."""
    task_id = "runaway-task-id"
    for _ in range(settings.NOC_TASK_MAX_DELIVERIES):
        TaskDelivery.record(task_id, "portal.heartbeat")
    with start_worker(app, queues=DEFAULT_QUEUE, **WORKER):
        heartbeat.apply_async(task_id=task_id)
        # The row is removed when the task is given up on; the task body never ran.
        assert wait_for(lambda: not TaskDelivery.objects.filter(task_id=task_id).exists())
        time.sleep(0.5)
    assert not WorkerHeartbeat.objects.exists()


def test_celery_defaults_are_safe():
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_time_limit and conf.task_soft_time_limit < conf.task_time_limit
    if conf.broker_url.startswith("redis"):
        assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit
