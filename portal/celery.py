"""The Celery application.

Defaults (from settings, ``CELERY_`` namespace): acks_late and
reject_on_worker_lost so a task whose worker dies is redelivered, prefetch 1
so one slow device does not hold others hostage, hard/soft time limits, and
a Redis visibility timeout longer than the hard limit. Redelivery is bounded
by :class:`BoundedRedeliveryTask`: a task that keeps killing its worker is
dropped (and logged) after ``NOC_TASK_MAX_DELIVERIES`` attempts instead of
looping forever.
"""

from __future__ import annotations

import logging
import os

from celery import Celery, Task
from celery.exceptions import Reject
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

logger = logging.getLogger(__name__)


class BoundedRedeliveryTask(Task):
    """Counts deliveries of one task id and refuses runaway redelivery.

    The count lives in the database (portal.TaskDelivery), not in the broker
    or a per-process cache, so it survives the worker that died and is
    shared by every worker. A task that returns or raises normally clears
    its row; only a delivery whose worker vanished leaves it behind.
    """

    track_deliveries = True

    def __call__(self, *args, **kwargs):
        # portal/__init__ imports this module before Django has loaded its apps, so the model comes in late.
        from portal.models import TaskDelivery  # noqa: PLC0415

        task_id = self.request.id
        if not (self.track_deliveries and task_id) or self.request.is_eager:
            return super().__call__(*args, **kwargs)
        count = TaskDelivery.record(task_id, self.name)
        if count > settings.NOC_TASK_MAX_DELIVERIES:
            logger.error("task %s[%s] delivered %s times without finishing; giving up", self.name, task_id, count)
            self.on_give_up(args, kwargs)
            TaskDelivery.objects.filter(task_id=task_id).delete()
            raise Reject(f"delivered {count} times without finishing", requeue=False)
        try:
            return super().__call__(*args, **kwargs)
        finally:
            TaskDelivery.objects.filter(task_id=task_id).delete()

    def on_give_up(self, args, kwargs) -> None:
        """Hook for tasks that must record the abandonment (device actions do)."""


app = Celery("portal", task_cls=BoundedRedeliveryTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Live polling keeps its tasks apart from devices.tasks (device actions).
app.autodiscover_tasks(related_name="tasks_polling")


@app.task(name="portal.ping")
def ping(value: str = "pong") -> str:
    """A trivial task: proves a worker is alive (health checks, tests)."""
    return value
