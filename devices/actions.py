"""Device actions: ask, run, retry, cancel, recover (the only code that changes action rows).

Life of an action
-----------------
:func:`request_action` refuses what a CPE cannot do up front (model
capabilities, ``disable_provision``/``disable_reconfig``, a missing
management address, a configuration that cannot be rendered), then creates
the row and its first step inside the caller's transaction and enqueues
``devices.run_action`` with ``transaction.on_commit`` — a rolled-back request
never leaves a task behind, and a worker never sees a row that is not there.

:func:`run` (called by the task) claims the row with a conditional update
(``queued → running``), so a duplicate message is a no-op. A *mutating*
action first takes the CPE's :class:`~devices.models.DeviceLease` (one row per
CPE, unique): when another action holds it, the message is re-enqueued with
a short jittered delay and the row stays queued. Reads (diagnostic) take no
lease. Leases, claims and step writes are short autocommit statements; no
transaction is open while the device is talked to.

Device I/O runs on an event loop of its own (``asyncio.run``). Database
writes during it (steps, heartbeats) go through one helper thread, so the
ORM is never called from async code. Every ``heartbeat`` seconds the run
renews its heartbeat and lease and picks up a cancellation request.

Outcomes: success → ``succeeded`` with the result; a retryable driver error
(unreachable, timeout, 5xx/busy) → back to ``queued`` with exponential
backoff and full jitter until ``max_attempts``; any other error → ``failed``
at once, naming the step. ``not_after`` passed → ``expired``; cancelled →
``cancelled``. Cancellation of a running action is honoured at safe points
(before the device is touched, between writing and reading back), never in
the middle of a write sequence.

Recovery: a worker killed mid-action stops heartbeating. :func:`reap_lost`
(periodic) requeues such rows — or fails them when no attempt is left —
with a step saying what happened, re-enqueues queued rows whose message was
lost, expires overdue ones and clears dead leases.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, connections, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from .choices import ActionKind, ActionSource, ActionStatus, StepLevel
from .connect import check_management_address, driver_for
from .drivers import driver_class
from .drivers.base import CAP_CLIENTS, CAP_READ_CONFIG, CAP_SIGNAL, DeviceConfig, DeviceDriver, DeviceError
from .models import ActionBatch, Cpe, DeviceAction, DeviceActionStep, DeviceLease
from .models.actions import FINISHED_STATUSES
from .operations import operation, refusal
from .provisioning import ProvisioningError, drift_report, from_cpe, problems, render
from .selectors import action_with_cpe

logger = logging.getLogger(__name__)

MESSAGE_MAX = 500


# ---------------------------------------------------------------------------
# Settings (all overridable; tests shrink the delays)
# ---------------------------------------------------------------------------


def _setting(name: str, default: float) -> float:
    return getattr(settings, name, default)


def max_attempts() -> int:
    return int(_setting("NOC_ACTION_MAX_ATTEMPTS", 4))


def lease_seconds() -> float:
    """How long a silent run keeps its lease: after that it counts as lost."""
    return float(_setting("NOC_ACTION_LEASE_S", 60))


def heartbeat_seconds() -> float:
    return float(_setting("NOC_ACTION_HEARTBEAT_S", 10))


def retry_delay(attempt: int) -> float:
    """Exponential backoff with full jitter: base·2^(n-1), capped, times U(0.5, 1)."""
    base = float(_setting("NOC_ACTION_RETRY_BASE_S", 5))
    cap = float(_setting("NOC_ACTION_RETRY_MAX_S", 300))
    return min(cap, base * 2 ** max(0, attempt - 1)) * random.uniform(0.5, 1.0)


def busy_delay() -> float:
    return float(_setting("NOC_ACTION_BUSY_RETRY_S", 2)) * random.uniform(0.5, 1.5)


def worker_name() -> str:
    return f"{socket.gethostname()}:{threading.get_native_id()}"


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


# ---------------------------------------------------------------------------
# Errors a caller can cause (the API answers them as 4xx)
# ---------------------------------------------------------------------------


class ActionRefused(Exception):
    """The action cannot run on this CPE; ``reason`` says why (answered before anything is queued)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class IdempotencyConflict(Exception):
    """The Idempotency-Key was already used for a different CPE or action."""


class ActionFinished(Exception):
    """The action already finished; there is nothing to cancel."""


# ---------------------------------------------------------------------------
# Steps
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# Asking for actions
# ---------------------------------------------------------------------------


def _cpe_refusal(cpe: Cpe, kind: str) -> str | None:
    """Model capabilities, the record's flags and the management address (no rendering, no I/O)."""
    family = cpe.model.family
    try:
        capabilities = driver_class(family).capabilities
    except LookupError:
        return f"There is no driver for {cpe.model.name} ({family})."
    reason = refusal(
        kind,
        family=family,
        model=cpe.model.name,
        capabilities=capabilities,
        disable_provision=cpe.disable_provision,
        disable_reconfig=cpe.disable_reconfig,
    )
    if reason:
        return reason
    try:
        check_management_address(cpe.management_address, cpe.tenant.management_networks)
    except DeviceError as exc:
        return f"The portal cannot reach this CPE: {exc.message}."
    return None


def check_action(cpe: Cpe, kind: str, params: Mapping[str, Any] | None = None) -> str | None:
    """Why ``kind`` cannot run on ``cpe`` (None: it can). Needs cpe.model and cpe.tenant loaded."""
    reason = _cpe_refusal(cpe, kind)
    if reason:
        return reason
    if operation(kind).renders_config:
        try:
            render(from_cpe(cpe, params), kind)  # raises with every problem found
        except ProvisioningError as exc:
            return f"The configuration cannot be rendered: {exc}."
    return None


def request_action(
    cpe: Cpe,
    kind: str,
    params: Mapping[str, Any] | None = None,
    *,
    requested_by=None,
    source: str = ActionSource.API,
    requested_from: str = "",
    idempotency_key: str = "",
    not_after: datetime | None = None,
    batch: ActionBatch | None = None,
) -> tuple[DeviceAction, bool]:
    """Queue ``kind`` on ``cpe``; returns (action, created). A repeated idempotency key returns the first action.

    Raises ActionRefused (with the reason) when the CPE cannot do it, and
    IdempotencyConflict when the key was used for another CPE or kind.
    """
    operation(kind)  # unknown kinds are a programming error, not a refusal
    params = dict(params or {})
    idempotency_key = (idempotency_key or "").strip()[:128]
    if idempotency_key:
        first = _by_key(cpe.tenant_id, idempotency_key)
        if first is not None:
            return _replay(first, cpe, kind), False
    reason = check_action(cpe, kind, params)
    if reason:
        raise ActionRefused(reason)
    who = getattr(requested_by, "username", "") or "system"
    try:
        with transaction.atomic():
            action = DeviceAction.objects.create(
                tenant_id=cpe.tenant_id,
                cpe=cpe,
                batch=batch,
                kind=kind,
                params=params,
                source=source,
                requested_by=requested_by,
                requested_from=requested_from[:120],
                idempotency_key=idempotency_key,
                not_after=not_after,
                max_attempts=max_attempts(),
                enqueued=timezone.now(),
            )
    except IntegrityError:
        # Two requests raced on one key: the first one's row answers both.
        first = _by_key(cpe.tenant_id, idempotency_key) if idempotency_key else None
        if first is None:
            raise
        return _replay(first, cpe, kind), False
    origin = f" from {requested_from}" if requested_from else ""
    add_step(action, StepLevel.INFO, f"{kind} queued by {who} via {source}{origin}")
    transaction.on_commit(lambda: enqueue(action.pk))
    return action, True


def _by_key(tenant_id: int, key: str) -> DeviceAction | None:
    return DeviceAction.objects.filter(tenant_id=tenant_id, idempotency_key=key).select_related("cpe").first()


def _replay(first: DeviceAction, cpe: Cpe, kind: str) -> DeviceAction:
    if first.cpe_id != cpe.pk or first.kind != kind:
        raise IdempotencyConflict(
            f"This Idempotency-Key was already used for {first.kind} on CPE {first.cpe_id} (action {first.pk})."
        )
    return first


@transient_db_retry
def enqueue(action_id: int, countdown: float | None = None) -> None:
    """Send the task (the row's ``enqueued`` time is what the reaper checks for lost messages)."""
    from .tasks import run_action

    DeviceAction.objects.filter(pk=action_id).update(enqueued=timezone.now())
    run_action.apply_async((action_id,), countdown=countdown, **_queue())


def _queue() -> dict[str, str]:
    # NOC_ACTION_QUEUE routes actions to their own queue (workers then consume it with -Q).
    queue = getattr(settings, "NOC_ACTION_QUEUE", None)
    return {"queue": queue} if queue else {}


def request_batch(
    tenant,
    kind: str,
    cpes: Iterable[Cpe],
    *,
    missing: Iterable[Any] = (),
    params: Mapping[str, Any] | None = None,
    selection: Mapping[str, Any] | None = None,
    requested_by=None,
    source: str = ActionSource.API,
    requested_from: str = "",
    not_after: datetime | None = None,
) -> ActionBatch:
    """One action per CPE that can do ``kind``; the others are listed as skipped with the reason.

    ``cpes`` should carry model/tenant/profiles (select_related) and POTS
    lines (prefetch) so checking a thousand devices stays a few queries.
    """
    operation(kind)
    params = dict(params or {})
    skipped = [{"cpe": ident, "reason": "No such CPE."} for ident in missing]
    now = timezone.now()
    with transaction.atomic():
        batch = ActionBatch.objects.create(
            tenant=tenant,
            kind=kind,
            params=params,
            source=source,
            requested_by=requested_by,
            requested_from=requested_from[:120],
            selection=dict(selection or {}),
            not_after=not_after,
        )
        rows = []
        for cpe in cpes:
            reason = check_action(cpe, kind, params)
            if reason:
                skipped.append({"cpe": cpe.pk, "reason": reason})
                continue
            rows.append(
                DeviceAction(
                    tenant=tenant,
                    cpe=cpe,
                    batch=batch,
                    kind=kind,
                    params=params,
                    source=ActionSource.BATCH,
                    requested_by=requested_by,
                    requested_from=f"batch {batch.pk}",
                    not_after=not_after,
                    max_attempts=max_attempts(),
                    enqueued=now,
                )
            )
        actions = DeviceAction.objects.bulk_create(rows, batch_size=500)
        who = getattr(requested_by, "username", "") or "system"
        DeviceActionStep.objects.bulk_create(
            [
                DeviceActionStep(
                    action=a,
                    seq=1,
                    time=now,
                    level=StepLevel.INFO,
                    message=f"{kind} queued by {who} in batch {batch.pk}",
                )
                for a in actions
            ],
            batch_size=500,
        )
        batch.total = len(actions)
        batch.skipped = skipped
        batch.save(update_fields=["total", "skipped"])
        ids = [a.pk for a in actions]
        transaction.on_commit(lambda: _enqueue_many(ids))
    return batch


def _enqueue_many(ids: list[int]) -> None:
    from .tasks import run_action

    options = _queue()
    for action_id in ids:
        run_action.apply_async((action_id,), **options)


def batch_totals(batch: ActionBatch) -> dict[str, Any]:
    """Counts by status, finished/total and percent done."""
    counts = dict(batch.actions.values_list("status").annotate(n=Count("id")).order_by())
    totals = {status: counts.get(status, 0) for status in ActionStatus.values}
    done = sum(totals[s] for s in FINISHED_STATUSES)
    return {
        "totals": totals,
        "finished": done,
        "total": batch.total,
        "skipped": len(batch.skipped),
        "progress": round(100.0 * done / batch.total, 1) if batch.total else 100.0,
        "done": done == batch.total,
    }


def cancel(action: DeviceAction, *, by=None) -> DeviceAction:
    """Cancel a queued action now; ask a running one to stop at its next safe point."""
    who = getattr(by, "username", "") or "system"
    now = timezone.now()
    if DeviceAction.objects.filter(pk=action.pk, status=ActionStatus.QUEUED).update(
        status=ActionStatus.CANCELLED, cancel_requested=True, finished=now
    ):
        add_step(action, StepLevel.WARNING, f"cancelled by {who} before it ran")
    elif DeviceAction.objects.filter(pk=action.pk, status=ActionStatus.RUNNING).update(cancel_requested=True):
        add_step(action, StepLevel.WARNING, f"cancellation requested by {who}; it stops at the next safe point")
    else:
        action.refresh_from_db()
        raise ActionFinished(f"Action {action.pk} already {action.status}.")
    action.refresh_from_db()
    return action


def cancel_batch(batch: ActionBatch, *, by=None) -> int:
    """Cancel every unfinished action of the batch; returns how many were touched."""
    touched = 0
    for action in batch.actions.filter(status__in=[ActionStatus.QUEUED, ActionStatus.RUNNING]):
        try:
            cancel(action, by=by)
            touched += 1
        except ActionFinished:
            continue
    return touched


# ---------------------------------------------------------------------------
# Running (called by the Celery task)
# ---------------------------------------------------------------------------


class CancelledByOperator(Exception):
    pass


@dataclass
class Outcome:
    status: str
    detail: str = ""


def run(action_id: int) -> Outcome:
    """Run one delivery of the action's task (see the module docstring)."""
    try:
        action = transient_db_retry(action_with_cpe)(action_id)
    except DeviceAction.DoesNotExist:
        return Outcome("missing")
    if action.status != ActionStatus.QUEUED:
        # Finished, or another delivery is running it (a lost one is the reaper's job).
        return Outcome("skipped", action.status)
    now = timezone.now()
    if action.cancel_requested:
        _finish_from(action, ActionStatus.QUEUED, ActionStatus.CANCELLED, "cancelled before it ran")
        return Outcome(ActionStatus.CANCELLED)
    if action.not_after and now > action.not_after:
        _finish_from(
            action,
            ActionStatus.QUEUED,
            ActionStatus.EXPIRED,
            f"expired: not run by {timezone.localtime(action.not_after):%Y-%m-%d %H:%M:%S}",
        )
        return Outcome(ActionStatus.EXPIRED)

    # The record may have changed since it was queued (provisioning disabled, address moved).
    reason = _refusal_now(action)
    if reason:
        _finish_from(
            action, ActionStatus.QUEUED, ActionStatus.FAILED, f"refused when due to run: {reason}", error=reason
        )
        return Outcome(ActionStatus.FAILED, reason)
    op = operation(action.kind)
    worker = worker_name()
    if op.mutating:
        holder = _acquire_lease(action, worker, now)
        if holder is not None:
            if holder != _last_wait(action):
                add_step(action, StepLevel.INFO, f"waiting: action {holder} is changing this device")
            enqueue(action.pk, countdown=busy_delay())
            return Outcome("busy", str(holder))
    if not _claim(action, worker, now):
        _release_lease(action.pk)
        return Outcome("skipped", "claimed elsewhere")
    action.status, action.attempts, action.worker = ActionStatus.RUNNING, action.attempts + 1, worker
    return _execute(action, op)


@transient_db_retry
@transient_db_retry
def _claim(action: DeviceAction, worker: str, now: datetime) -> bool:
    return bool(
        DeviceAction.objects.filter(pk=action.pk, status=ActionStatus.QUEUED, cancel_requested=False).update(
            status=ActionStatus.RUNNING,
            attempts=action.attempts + 1,
            started=action.started or now,
            heartbeat=now,
            worker=worker[:200],
            next_attempt=None,
        )
    )


def _refusal_now(action: DeviceAction) -> str | None:
    return _cpe_refusal(action.cpe, action.kind)


@transient_db_retry
def _last_wait(action: DeviceAction) -> int | None:
    last = DeviceActionStep.objects.filter(action=action).order_by("-seq").values_list("message", flat=True).first()
    if last and last.startswith("waiting: action "):
        try:
            return int(last.split()[2])
        except (IndexError, ValueError):
            return None
    return None


@transient_db_retry
def _acquire_lease(action: DeviceAction, worker: str, now: datetime) -> int | None:
    """Take the CPE's lease; None when taken, else the id of the action holding it."""
    expires = now + timedelta(seconds=lease_seconds())
    with transaction.atomic():
        # A lease nobody renewed is free (its holder died; the reaper fixes its row).
        DeviceLease.objects.filter(cpe_id=action.cpe_id, expires_at__lt=now).delete()
        try:
            with transaction.atomic():
                DeviceLease.objects.create(
                    cpe_id=action.cpe_id, action=action, holder=worker[:200], acquired=now, expires_at=expires
                )
            return None
        except IntegrityError:
            pass
    holder = DeviceLease.objects.filter(cpe_id=action.cpe_id).values_list("action_id", flat=True).first()
    if holder == action.pk:  # our own lease from an earlier delivery
        DeviceLease.objects.filter(action=action).update(holder=worker[:200], expires_at=expires)
        return None
    return holder or -1


@transient_db_retry
def _release_lease(action_id: int) -> None:
    DeviceLease.objects.filter(action_id=action_id).delete()


@transient_db_retry
def _finish_from(action: DeviceAction, expected: str, status: str, message: str, **fields: Any) -> bool:
    level = {ActionStatus.SUCCEEDED: StepLevel.INFO, ActionStatus.FAILED: StepLevel.ERROR}.get(
        status, StepLevel.WARNING
    )
    # One transaction: whoever sees the final status also sees the step saying why.
    with transaction.atomic():
        done = DeviceAction.objects.filter(pk=action.pk, status=expected).update(
            status=status, finished=timezone.now(), **fields
        )
        if done:
            add_step(action, level, message)
    return bool(done)


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

    def __init__(self, action: DeviceAction) -> None:
        self.action = action
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
        DeviceLease.objects.filter(action_id=self.action.pk).update(expires_at=now + timedelta(seconds=lease_seconds()))
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
            await asyncio.sleep(heartbeat_seconds())
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


def _execute(action: DeviceAction, op) -> Outcome:
    recorder = Recorder(action)
    cpe = action.cpe
    try:
        desired: DeviceConfig | None = None
        inp = None
        if op.renders_config or action.kind == ActionKind.DIAGNOSTIC:
            inp = transient_db_retry(from_cpe)(cpe, action.params)
        if op.renders_config:
            desired = render(inp, action.kind)
        elif action.kind == ActionKind.DIAGNOSTIC and not problems(inp, ActionKind.REPROVISION):
            try:
                desired = render(inp, ActionKind.REPROVISION)
            except ProvisioningError:
                desired = None
        recorder.write_step(
            StepLevel.INFO,
            f"attempt {action.attempts} of {action.max_attempts} on {recorder.action.worker}: "
            f"{op.description} ({cpe.model.name} at {cpe.management_address})",
        )
        driver = driver_for(cpe)
        timeout = getattr(settings, "NOC_ACTION_DEVICE_TIMEOUT_S", None)
        if timeout:
            # Before the first request: the HTTP client is created lazily from the endpoint.
            driver.endpoint = replace(
                driver.endpoint,
                timeout=float(timeout),
                connect_timeout=min(float(timeout), driver.endpoint.connect_timeout),
            )
        result = asyncio.run(_device_work(action, driver, recorder, desired))
    except CancelledByOperator as exc:
        _release_lease(action.pk)
        recorder.close()
        _finish_from(action, ActionStatus.RUNNING, ActionStatus.CANCELLED, f"cancelled by the operator at {exc}")
        return Outcome(ActionStatus.CANCELLED)
    except (DeviceError, ProvisioningError) as exc:
        _release_lease(action.pk)
        recorder.close()
        return _failed_attempt(action, exc)
    except Exception as exc:
        logger.exception("action %s crashed", action.pk)
        _release_lease(action.pk)
        recorder.close()
        _finish_from(
            action,
            ActionStatus.RUNNING,
            ActionStatus.FAILED,
            f"internal error: {exc.__class__.__name__}: {exc}",
            error=f"internal error: {exc}"[:2000],
        )
        return Outcome(ActionStatus.FAILED, str(exc))
    _release_lease(action.pk)
    recorder.close()
    summary = _summary(action.kind, result)
    _finish_from(action, ActionStatus.RUNNING, ActionStatus.SUCCEEDED, summary, result=result, error="", error_step="")
    return Outcome(ActionStatus.SUCCEEDED)


def _summary(kind: str, result: dict[str, Any]) -> str:
    drift = result.get("drift")
    if isinstance(drift, dict) and "in_sync" in drift:
        state = "in sync" if drift["in_sync"] else f"{len(drift['differences'])} field(s) differ"
        return f"{kind} succeeded; running configuration {state}"
    return f"{kind} succeeded"


def _failed_attempt(action: DeviceAction, exc: Exception) -> Outcome:
    step = getattr(exc, "step", None) or ""
    retryable = bool(getattr(exc, "retryable", False))
    kind = exc.__class__.__name__
    text = f"{kind}: {exc}"
    if retryable and action.attempts < action.max_attempts:
        delay = retry_delay(action.attempts)
        retry_at = timezone.now() + timedelta(seconds=delay)
        if action.not_after and retry_at > action.not_after:
            _finish_from(
                action,
                ActionStatus.RUNNING,
                ActionStatus.EXPIRED,
                f"attempt {action.attempts} failed ({text}); the next try would be after not_after: expired",
                error=text[:2000],
                error_step=step[:200],
            )
            return Outcome(ActionStatus.EXPIRED)
        moved = transient_db_retry(DeviceAction.objects.filter(pk=action.pk, status=ActionStatus.RUNNING).update)(
            status=ActionStatus.QUEUED, next_attempt=retry_at, error=text[:2000], error_step=step[:200], worker=""
        )
        if moved:
            add_step(
                action,
                StepLevel.WARNING,
                f"attempt {action.attempts} failed at {step or 'connect'} ({text}); retrying in {delay:.1f}s",
            )
            enqueue(action.pk, countdown=delay)
        return Outcome("retry", text)
    why = "gave up after" if retryable else "final error on"
    _finish_from(
        action,
        ActionStatus.RUNNING,
        ActionStatus.FAILED,
        f"{why} attempt {action.attempts} at {step or 'connect'}: {text}",
        error=text[:2000],
        error_step=step[:200],
    )
    return Outcome(ActionStatus.FAILED, text)


async def _device_work(
    action: DeviceAction, driver: DeviceDriver, rec: Recorder, desired: DeviceConfig | None
) -> dict[str, Any]:
    beating = asyncio.create_task(rec.heartbeat_forever())
    try:
        async with driver:
            await rec.checkpoint("start")
            return await _KIND_WORK[action.kind](action, driver, rec, desired)
    finally:
        beating.cancel()


async def _reboot(action, driver: DeviceDriver, rec: Recorder, desired) -> dict[str, Any]:
    await rec.step(StepLevel.INFO, "sending reboot")
    await driver.reboot()
    await rec.step(StepLevel.INFO, "reboot accepted; the device restarts and is briefly unreachable")
    return {"rebooted": True}


async def _factory(action, driver: DeviceDriver, rec: Recorder, desired) -> dict[str, Any]:
    await rec.step(StepLevel.WARNING, "sending factory reset")
    await driver.factory_reset()
    await rec.step(StepLevel.INFO, "factory reset accepted; the device restarts with its defaults")
    return {"factory_reset": True}


async def _write_config(action, driver: DeviceDriver, rec: Recorder, desired: DeviceConfig) -> dict[str, Any]:
    await rec.step(StepLevel.INFO, f"rendered {len(desired.sections)} configuration sections")
    report = await driver.apply(desired, on_step=rec.on_step)
    await rec.step(StepLevel.INFO, f"wrote {len(report.written)} sections, applied {len(report.applied)}")
    result: dict[str, Any] = {"written": report.written, "applied": report.applied}
    await rec.checkpoint("read-back")
    if driver.supports(CAP_READ_CONFIG):
        running = await driver.read_config([s.path for s in desired.sections])
        result["drift"] = drift_report(driver.vendor, desired, running)
        differences = result["drift"]["differences"]
        if differences:
            first = differences[0]
            await rec.step(
                StepLevel.WARNING,
                f"read-back differs in {len(differences)} field(s), e.g. {first['section']} {first['field']}",
            )
        else:
            await rec.step(StepLevel.INFO, f"read-back matches ({result['drift']['fields']} fields)")
    return result


async def _diagnostic(action, driver: DeviceDriver, rec: Recorder, desired: DeviceConfig | None) -> dict[str, Any]:
    result: dict[str, Any] = {}
    await rec.step(StepLevel.INFO, "reading info and status")
    result["info"] = asdict(await driver.info())
    result["status"] = asdict(await driver.status())
    if driver.supports(CAP_SIGNAL):
        signal = await driver.signal()
        result["signal"] = asdict(signal) if signal is not None else None
    if driver.supports(CAP_CLIENTS):
        result["clients"] = [asdict(c) for c in await driver.clients()]
        await rec.step(StepLevel.INFO, f"{len(result['clients'])} client(s) connected")
    if driver.supports(CAP_READ_CONFIG):
        if desired is not None:
            running = await driver.read_config([s.path for s in desired.sections])
            result["drift"] = drift_report(driver.vendor, desired, running)
            result["config"] = running.as_dict()
            n = len(result["drift"]["differences"])
            await rec.step(StepLevel.INFO if not n else StepLevel.WARNING, f"config read back: {n} field(s) drift")
        else:
            result["config"] = (await driver.read_config()).as_dict()
            result["drift"] = None
    return _masked(result)


_SECRET_KEYS = {"password", "ppp_password", "admin_password", "user_password", "RegisterPswd", "key"}


def _masked(value: Any) -> Any:
    """Read-back configuration goes into the result: never store device secrets there in clear."""
    if isinstance(value, dict):
        return {
            k: ("••••••" if k in _SECRET_KEYS and isinstance(v, str) and v else _masked(v)) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


_KIND_WORK = {
    ActionKind.REBOOT: _reboot,
    ActionKind.FACTORY: _factory,
    ActionKind.RECONFIG: _write_config,
    ActionKind.REPROVISION: _write_config,
    ActionKind.UNPROVISION: _write_config,
    ActionKind.DIAGNOSTIC: _diagnostic,
}


@transient_db_retry
def give_up(action_id: int, deliveries: int) -> None:
    """The task's worker died on every delivery (portal.celery.BoundedRedeliveryTask gave up)."""
    action = DeviceAction.objects.filter(pk=action_id).first()
    if action is None or action.is_finished:
        return
    _release_lease(action_id)
    _finish_from(
        action,
        action.status,
        ActionStatus.FAILED,
        f"the worker died on each of {deliveries} deliveries of this action; given up",
        error="worker lost repeatedly",
    )


# ---------------------------------------------------------------------------
# Recovery (periodic)
# ---------------------------------------------------------------------------


def reap_lost(now: datetime | None = None, *, limit: int = 500) -> dict[str, int]:
    """Requeue or fail running rows whose worker went silent; re-enqueue lost messages; expire overdue rows."""
    now = now or timezone.now()
    counts = {"requeued": 0, "failed": 0, "expired": 0, "reenqueued": 0, "leases": 0}
    stale = now - timedelta(seconds=lease_seconds())
    lost = DeviceAction.objects.filter(status=ActionStatus.RUNNING).filter(
        Q(heartbeat__lt=stale) | Q(heartbeat__isnull=True, started__lt=stale)
    )
    for action in lost.order_by("heartbeat")[:limit]:
        seen = timezone.localtime(action.heartbeat).strftime("%H:%M:%S") if action.heartbeat else "never"
        where = f"worker {action.worker or 'unknown'} went silent (last heartbeat {seen})"
        if action.attempts < action.max_attempts:
            moved = DeviceAction.objects.filter(pk=action.pk, status=ActionStatus.RUNNING, heartbeat=action.heartbeat)
            if moved.update(status=ActionStatus.QUEUED, worker="", next_attempt=now, error=f"{where}"[:2000]):
                _release_lease(action.pk)
                add_step(
                    action,
                    StepLevel.WARNING,
                    f"{where}; requeued by the reaper (attempt {action.attempts} of {action.max_attempts} was lost)",
                )
                enqueue(action.pk)
                counts["requeued"] += 1
        else:
            _release_lease(action.pk)
            if _finish_from(
                action,
                ActionStatus.RUNNING,
                ActionStatus.FAILED,
                f"{where}; no attempts left ({action.attempts} of {action.max_attempts}): failed by the reaper",
                error=f"worker lost: {where}"[:2000],
            ):
                counts["failed"] += 1
    overdue = DeviceAction.objects.filter(status=ActionStatus.QUEUED, not_after__lt=now)
    for action in overdue[:limit]:
        if _finish_from(action, ActionStatus.QUEUED, ActionStatus.EXPIRED, "expired: not run before not_after"):
            _release_lease(action.pk)
            counts["expired"] += 1
    # A queued row nobody picked up for long: its message was lost (broker restart...). A
    # duplicate message is harmless, the claim is a conditional update.
    requeue_after = timedelta(seconds=float(_setting("NOC_ACTION_REQUEUE_AFTER_S", 1800)))
    forgotten = DeviceAction.objects.filter(status=ActionStatus.QUEUED, enqueued__lt=now - requeue_after).filter(
        Q(next_attempt__isnull=True) | Q(next_attempt__lt=now - requeue_after)
    )
    for action in forgotten[:limit]:
        add_step(action, StepLevel.WARNING, "no worker took it up; enqueued again by the reaper")
        enqueue(action.pk)
        counts["reenqueued"] += 1
    counts["leases"] = DeviceLease.objects.filter(expires_at__lt=stale).delete()[0]
    return counts
