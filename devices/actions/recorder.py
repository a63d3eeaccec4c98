"""The step log of an action, and the run's link to the database while it talks to the device.

:func:`add_step` appends one line to an action's log (request, cancel,
reaper). :class:`Recorder` is used by a run: device I/O happens on an event
loop, and every database write of the run (step lines in small batches,
heartbeats, lease renewals, the cancellation check) goes through one helper
thread, so the ORM is never called from async code. Every write here is a
short autocommit statement retried on a transient database error.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.db import IntegrityError, OperationalError, connection, connections, transaction
from django.db.models import Max
from django.utils import timezone

from ..choices import StepLevel
from ..models import DeviceAction, DeviceActionStep, DeviceLease
from .config import ActionSettings

logger = logging.getLogger(__name__)

MESSAGE_MAX = 500


def transient_db_retry(fn):
    """Retry a short autocommit write on a transient database error (SQLite busy/locked, a dropped connection).

    Only outside a transaction: inside one, the caller's transaction is what
    must be retried. Used by every write of the engine, so a momentary lock
    never strands an action in a state only the reaper can fix.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        for attempt in range(6):
            try:
                return fn(*args, **kwargs)
            except OperationalError:
                if connection.in_atomic_block or attempt == 5:
                    raise
                if connection.connection is not None and not connection.is_usable():
                    connection.close()
                time.sleep(0.02 * 2**attempt * random.uniform(1, 2))
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper


@transient_db_retry
def _next_seq(action_id: int) -> int:
    return (DeviceActionStep.objects.filter(action_id=action_id).aggregate(m=Max("seq"))["m"] or 0) + 1


@transient_db_retry
def add_step(action: DeviceAction | int, level: str, message: str, *, attempt: int | None = None) -> None:
    """Append one step (outside a run: request, cancel, reaper)."""
    action_id = action if isinstance(action, int) else action.pk
    if attempt is None:
        attempt = 0 if isinstance(action, int) else action.attempts
    for _ in range(3):
        try:
            with transaction.atomic():
                DeviceActionStep.objects.create(
                    action_id=action_id,
                    seq=_next_seq(action_id),
                    time=timezone.now(),
                    level=level,
                    message=message[:MESSAGE_MAX],
                    attempt=attempt,
                )
            return
        except IntegrityError:
            continue  # another writer took that number: take the next one


class CancelledByOperator(Exception):
    """An operator cancelled the run; raised at the next safe point (:meth:`Recorder.checkpoint`)."""


class Recorder:
    """The run's link to the database while the event loop talks to the device.

    One helper thread does every write in order (the ORM must not run in the
    loop's thread); a heartbeat coroutine renews the row and the lease and
    notices cancellation.
    """

    # The driver reports every node it writes; those lines are flushed in small
    # bulk inserts (this many, or this often) so a 70-node provisioning costs a
    # handful of round trips, and a UI polling the steps lags by at most that.
    FLUSH_EVERY = 25
    FLUSH_SECONDS = 0.5

    def __init__(self, action: DeviceAction, config: ActionSettings | None = None) -> None:
        self.action = action
        self.config = config or ActionSettings.from_settings()
        self.seq = _next_seq(action.pk)
        self.cancel_requested = False
        self.last_step = ""
        self._pending: list[DeviceActionStep] = []
        self._flushed_at = time.monotonic()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"action-{action.pk}")

    # -- synchronous (worker thread, or the helper thread) --------------------
    def _queue_step(self, level: str, message: str) -> None:
        message = message[:MESSAGE_MAX]
        self._pending.append(
            DeviceActionStep(
                action_id=self.action.pk,
                seq=self.seq,
                time=timezone.now(),
                level=level,
                message=message,
                attempt=self.action.attempts,
            )
        )
        self.seq += 1
        self.last_step = message

    @transient_db_retry
    def flush(self) -> None:
        if not self._pending:
            return
        rows, self._pending = self._pending, []
        try:
            with transaction.atomic():
                DeviceActionStep.objects.bulk_create(rows)
        except IntegrityError:
            # Someone else wrote steps meanwhile (a cancel, the reaper): number ours after theirs.
            self.seq = _next_seq(self.action.pk)
            for row in rows:
                row.seq, self.seq = self.seq, self.seq + 1
            DeviceActionStep.objects.bulk_create(rows)
        self._flushed_at = time.monotonic()

    def write_step(self, level: str, message: str) -> None:
        self._queue_step(level, message)
        self.flush()

    @transient_db_retry
    def beat(self) -> bool:
        now = timezone.now()
        DeviceAction.objects.filter(pk=self.action.pk).update(heartbeat=now)
        DeviceLease.objects.filter(action_id=self.action.pk).update(
            expires_at=now + timedelta(seconds=self.config.lease_s)
        )
        return self.cancel_was_requested()

    @transient_db_retry
    def cancel_was_requested(self) -> bool:
        return DeviceAction.objects.filter(pk=self.action.pk, cancel_requested=True).exists()

    def close(self) -> None:
        try:
            self._pool.submit(self.flush).result()
        except Exception:  # the outcome still gets recorded; a few lost log lines must not block it
            logger.exception("could not write the last steps of action %s", self.action.pk)
        self._pool.submit(connections.close_all).result()
        self._pool.shutdown(wait=True)

    # -- async (the device loop) -----------------------------------------------
    async def step(self, level: str, message: str) -> None:
        await asyncio.get_running_loop().run_in_executor(self._pool, self.write_step, level, message)

    async def on_step(self, level: str, message: str) -> None:
        """The driver's per-node lines: buffered, written in small batches."""
        self._queue_step(level if level in StepLevel.values else StepLevel.INFO, message)
        if len(self._pending) >= self.FLUSH_EVERY or time.monotonic() - self._flushed_at >= self.FLUSH_SECONDS:
            await asyncio.get_running_loop().run_in_executor(self._pool, self.flush)

    async def heartbeat_forever(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.config.heartbeat_s)
            try:
                if await loop.run_in_executor(self._pool, self.beat):
                    self.cancel_requested = True
            except Exception:  # a missed beat is survivable; the next one may work
                logger.exception("heartbeat of action %s failed", self.action.pk)

    async def checkpoint(self, where: str) -> None:
        """A safe point: stop here if an operator cancelled."""
        if self.cancel_requested or await asyncio.get_running_loop().run_in_executor(
            self._pool, self.cancel_was_requested
        ):
            raise CancelledByOperator(where)
