"""A poll round through a real Celery worker (the configured broker: filesystem locally, Redis in CI).

beat's entry point ``devices.poll_fleet`` fans out ``devices.poll_batch``
tasks; the worker polls the simulated fleet over real sockets and writes the
states — broker → worker → drivers → simulators → database.
"""

from __future__ import annotations

import uuid

import pytest
from celery.signals import task_postrun
from django.conf import settings as django_settings

from devices.models import DeviceSample, DeviceState
from devices.tasks_polling import poll_batch, poll_fleet
from tests.celery_worker import queue_worker, wait_for
from tests.devices.polling_fleet import cpes_for, reset_faults

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def test_poll_round_through_a_worker(sim_fleet, tenant_a, settings):
    for device in sim_fleet.devices:
        reset_faults(sim_fleet, device.serial)
    settings.NOC_POLL_BATCH_SIZE = 5  # several batches: the fan-out is exercised
    settings.NOC_POLL_TIMEOUT_SECONDS = 2.0
    # A queue of its own: other workers sharing the broker (a developer's `make run`) must not take our tasks.
    settings.NOC_POLL_QUEUE = queue = f"polling-test-{uuid.uuid4().hex[:8]}"
    cpes = cpes_for(tenant_a, sim_fleet.devices)
    batches = -(-len(cpes) // 5)
    finished: list[str] = []

    def on_postrun(sender=None, **kwargs) -> None:
        if sender is not None and sender.name in (poll_fleet.name, "devices.poll_batch"):
            finished.append(sender.name)

    # Wait on the worker's own signal, not by reading the database meanwhile: the
    # SQLite test database (shared-cache memory) answers a concurrent reader
    # "table is locked" instead of waiting.
    task_postrun.connect(on_postrun, weak=False)
    try:
        with queue_worker(queue, shutdown_timeout=15):
            result = poll_fleet.apply_async(queue=queue)
            assert wait_for(lambda: len(finished) == 1 + batches, timeout=30.0, interval=0.2), finished
    finally:
        task_postrun.disconnect(on_postrun)
    assert finished.count("devices.poll_batch") == batches
    assert DeviceState.objects.filter(online=True).count() == len(cpes), list(
        DeviceState.objects.values_list("cpe_id", "online", "last_error")
    )
    assert DeviceSample.objects.count() == len(cpes)
    assert not DeviceState.objects.exclude(poll_claim="").exists()
    assert result.id  # enqueued through the broker, not run eagerly
    assert django_settings.CELERY_BEAT_SCHEDULE["devices-poll-fleet"]["task"] == poll_fleet.name


def test_poll_tasks_do_not_pile_up(sim_fleet, tenant_a, settings, monkeypatch):
    """Batches expire when the next round is due; nothing is retried or redelivered inside a round."""
    settings.NOC_POLL_BATCH_SIZE = 5
    cpes = cpes_for(tenant_a, sim_fleet.devices)
    sent = []
    monkeypatch.setattr(poll_batch, "apply_async", lambda args, **options: sent.append((args, options)))
    assert poll_fleet() == len(sent) == -(-len(cpes) // 5)
    assert sorted(i for (ids,), _ in sent for i in ids) == sorted(c.pk for c in cpes.values())
    assert all(options == {"expires": settings.NOC_POLL_INTERVAL_SECONDS} for _, options in sent)
    settings.NOC_POLL_QUEUE = "polling"
    sent.clear()
    poll_fleet()
    assert all(options["queue"] == "polling" for _, options in sent)
    entry = django_settings.CELERY_BEAT_SCHEDULE["devices-poll-fleet"]
    assert entry["options"]["expires"] == django_settings.NOC_POLL_INTERVAL_SECONDS
    assert poll_batch.acks_late is False and poll_batch.track_deliveries is False
    assert not getattr(poll_batch, "autoretry_for", ())
