"""Celery entry points of the devices app (thin: the work is in devices.actions, which enqueues by task name)."""

from __future__ import annotations

import random
import time

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from portal.celery import BoundedRedeliveryTask

from .actions import give_up, reap_lost, run
from .actions.request import RUN_TASK


class DeviceActionTask(BoundedRedeliveryTask):
    """Records on the action row when its worker died on every delivery.

    The delivery counter (a database row written before the body runs) can
    meet a momentarily locked database (SQLite); such a delivery is tried
    again in place instead of being lost — running the body twice is
    harmless, the engine's claim is a conditional update.
    """

    def __call__(self, *args, **kwargs):
        for attempt in range(5):
            try:
                return super().__call__(*args, **kwargs)
            except OperationalError:
                if attempt == 4:
                    raise
                time.sleep(0.05 * 2**attempt * random.uniform(1, 2))
        raise AssertionError("unreachable")  # pragma: no cover

    def on_give_up(self, args, kwargs) -> None:
        action_id = args[0] if args else kwargs.get("action_id")
        if action_id is not None:
            give_up(int(action_id), settings.NOC_TASK_MAX_DELIVERIES + 1)


@shared_task(
    name=RUN_TASK,
    base=DeviceActionTask,
    ignore_result=True,
    acks_late=True,
    # A database that is briefly unavailable before the claim: try the delivery again.
    autoretry_for=(OperationalError,),
    retry_backoff=1,
    retry_backoff_max=60,
    max_retries=5,
)
def run_action(action_id: int) -> str:
    """Run one delivery of a device action; retries are new messages the engine schedules."""
    outcome = run(action_id)
    return f"{outcome.status} {outcome.detail}".strip()


@shared_task(name="devices.reap_lost_actions", ignore_result=True)
def reap_lost_actions() -> dict[str, int]:
    """Periodic: requeue or fail actions whose worker vanished, re-enqueue lost messages, expire overdue ones."""
    return reap_lost()
