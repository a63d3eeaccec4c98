"""The engine's knobs (attempts, backoff, heartbeat, lease, queue), read from settings in one place.

The defaults live in ``portal/settings.py`` (``NOC_ACTION_*``) and nowhere
else. :meth:`ActionSettings.from_settings` is called when a value is needed,
not at import, so a test that overrides a setting sees it at once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class ActionSettings:
    """One snapshot of the ``NOC_ACTION_*`` settings."""

    max_attempts: int
    retry_base_s: float
    retry_max_s: float
    heartbeat_s: float
    lease_s: float  # a run silent this long counts as lost: its lease is free and the reaper takes it
    busy_retry_s: float
    requeue_after_s: float
    device_timeout_s: float | None  # None or 0: the driver's own timeout
    queue: str | None  # a queue of their own for actions (workers then consume it with -Q)

    @classmethod
    def from_settings(cls) -> ActionSettings:
        timeout = settings.NOC_ACTION_DEVICE_TIMEOUT_S
        return cls(
            max_attempts=int(settings.NOC_ACTION_MAX_ATTEMPTS),
            retry_base_s=float(settings.NOC_ACTION_RETRY_BASE_S),
            retry_max_s=float(settings.NOC_ACTION_RETRY_MAX_S),
            heartbeat_s=float(settings.NOC_ACTION_HEARTBEAT_S),
            lease_s=float(settings.NOC_ACTION_LEASE_S),
            busy_retry_s=float(settings.NOC_ACTION_BUSY_RETRY_S),
            requeue_after_s=float(settings.NOC_ACTION_REQUEUE_AFTER_S),
            device_timeout_s=float(timeout) if timeout else None,
            queue=settings.NOC_ACTION_QUEUE or None,
        )

    def retry_delay(self, attempt: int) -> float:
        """Exponential backoff with full jitter: base·2^(n-1), capped, times U(0.5, 1)."""
        return min(self.retry_max_s, self.retry_base_s * 2 ** max(0, attempt - 1)) * random.uniform(0.5, 1.0)

    def busy_delay(self) -> float:
        """How long a mutating action waits before looking at a leased device again (jittered)."""
        return self.busy_retry_s * random.uniform(0.5, 1.5)

    def queue_options(self) -> dict[str, str]:
        return {"queue": self.queue} if self.queue else {}
