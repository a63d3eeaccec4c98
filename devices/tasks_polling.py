"""Celery entry points of live polling (thin: the work is in devices.polling).

Kept apart from ``devices.tasks`` (device actions); portal/celery.py
autodiscovers ``tasks_polling`` modules.

Poll tasks are not acks_late and not retried: if a worker dies mid-batch,
the next round polls those devices anyway (their claims expire after
``NOC_POLL_CLAIM_TTL_SECONDS``), and redelivering a stale round would only
add load. The delivery counter of BoundedRedeliveryTask is off for the same
reason (no redelivery, no database writes per task).
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from . import polling

POLL_TASK_OPTIONS = {
    "ignore_result": True,
    "acks_late": False,
    "track_deliveries": False,
    # A batch is bounded by its device deadlines; these only catch a bug.
    "soft_time_limit": 240,
    "time_limit": 300,
}


@shared_task(name="devices.poll_fleet", **POLL_TASK_OPTIONS)
def poll_fleet() -> int:
    """Fan a round out: one ``devices.poll_batch`` per batch, expiring when the next round is due."""
    batches = polling.plan_round(settings.NOC_POLL_BATCH_SIZE)
    options: dict = {"expires": settings.NOC_POLL_INTERVAL_SECONDS}
    if settings.NOC_POLL_QUEUE:
        options["queue"] = settings.NOC_POLL_QUEUE
    for ids in batches:
        poll_batch.apply_async(args=[ids], **options)
    return len(batches)


@shared_task(name="devices.poll_batch", **POLL_TASK_OPTIONS)
def poll_batch(cpe_ids: list[int]) -> dict[str, int]:
    report = polling.poll_batch(cpe_ids)
    return {"claimed": report.claimed, "reached": report.reached, "missed": report.missed}


@shared_task(name="devices.prune_samples", ignore_result=True, track_deliveries=False)
def prune_samples() -> int:
    """Drop history samples older than NOC_SAMPLE_RETENTION_DAYS."""
    return polling.prune_samples()
