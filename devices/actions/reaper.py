"""Recovery (periodic): actions whose worker died, messages that were lost, rows past their deadline.

A worker killed mid-action stops heartbeating. :func:`reap_lost` requeues
such rows — or fails them when no attempt is left — with a step saying what
happened, re-enqueues queued rows whose message was lost, expires overdue
ones and clears dead leases.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from ..choices import ActionStatus, StepLevel
from ..models import DeviceAction, DeviceLease
from .config import ActionSettings
from .recorder import add_step
from .request import enqueue
from .runner import finish_from, release_lease


def reap_lost(now: datetime | None = None, *, limit: int = 500) -> dict[str, int]:
    """Requeue or fail running rows whose worker went silent; re-enqueue lost messages; expire overdue rows."""
    now = now or timezone.now()
    config = ActionSettings.from_settings()
    counts = {"requeued": 0, "failed": 0, "expired": 0, "reenqueued": 0, "leases": 0}
    stale = now - timedelta(seconds=config.lease_s)
    lost = DeviceAction.objects.filter(status=ActionStatus.RUNNING).filter(
        Q(heartbeat__lt=stale) | Q(heartbeat__isnull=True, started__lt=stale)
    )
    for action in lost.order_by("heartbeat")[:limit]:
        seen = timezone.localtime(action.heartbeat).strftime("%H:%M:%S") if action.heartbeat else "never"
        where = f"worker {action.worker or 'unknown'} went silent (last heartbeat {seen})"
        if action.attempts < action.max_attempts:
            moved = DeviceAction.objects.filter(pk=action.pk, status=ActionStatus.RUNNING, heartbeat=action.heartbeat)
            if moved.update(status=ActionStatus.QUEUED, worker="", next_attempt=now, error=f"{where}"[:2000]):
                release_lease(action.pk)
                add_step(
                    action,
                    StepLevel.WARNING,
                    f"{where}; requeued by the reaper (attempt {action.attempts} of {action.max_attempts} was lost)",
                )
                enqueue(action.pk)
                counts["requeued"] += 1
        else:
            release_lease(action.pk)
            if finish_from(
                action,
                ActionStatus.RUNNING,
                ActionStatus.FAILED,
                f"{where}; no attempts left ({action.attempts} of {action.max_attempts}): failed by the reaper",
                error=f"worker lost: {where}"[:2000],
            ):
                counts["failed"] += 1
    overdue = DeviceAction.objects.filter(status=ActionStatus.QUEUED, not_after__lt=now)
    for action in overdue[:limit]:
        if finish_from(action, ActionStatus.QUEUED, ActionStatus.EXPIRED, "expired: not run before not_after"):
            release_lease(action.pk)
            counts["expired"] += 1
    # A queued row nobody picked up for long: its message was lost (broker restart...). A
    # duplicate message is harmless, the claim is a conditional update.
    requeue_after = timedelta(seconds=config.requeue_after_s)
    forgotten = DeviceAction.objects.filter(status=ActionStatus.QUEUED, enqueued__lt=now - requeue_after).filter(
        Q(next_attempt__isnull=True) | Q(next_attempt__lt=now - requeue_after)
    )
    for action in forgotten[:limit]:
        add_step(action, StepLevel.WARNING, "no worker took it up; enqueued again by the reaper")
        enqueue(action.pk)
        counts["reenqueued"] += 1
    counts["leases"] = DeviceLease.objects.filter(expires_at__lt=stale).delete()[0]
    return counts
