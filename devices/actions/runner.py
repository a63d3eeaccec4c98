"""Running one delivery of an action: claim, device lease, the device work, retry or finish.

:func:`run` (called by the task) claims the row with a conditional update
(``queued → running``), so a duplicate message is a no-op. A *mutating*
action first takes the CPE's :class:`~devices.models.DeviceLease` (one row per
CPE, unique): when another action holds it, the message is re-enqueued with
a short jittered delay and the row stays queued. Reads (diagnostic) take no
lease. Leases, claims and step writes are short autocommit statements; no
transaction is open while the device is talked to.

Device I/O runs on an event loop of its own (``asyncio.run``) with the
kind's work coroutine; the :class:`~devices.actions.recorder.Recorder`
writes its steps and heartbeats from a helper thread.

Outcomes: success → ``succeeded`` with the result; a retryable driver error
(unreachable, timeout, 5xx/busy) → back to ``queued`` with exponential
backoff and full jitter until ``max_attempts``; any other error → ``failed``
at once, naming the step. ``not_after`` passed → ``expired``; cancelled →
``cancelled``. Cancellation of a running action is honoured at safe points
(before the device is touched, between writing and reading back), never in
the middle of a write sequence.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..choices import ActionKind, ActionStatus, StepLevel
from ..connect import driver_for
from ..drivers.base import DeviceConfig, DeviceDriver, DeviceError
from ..models import DeviceAction, DeviceActionStep, DeviceLease
from ..provisioning import ProvisioningError, from_cpe, problems, render
from ..selectors import action_with_cpe
from .config import ActionSettings
from .kinds import ActionKindSpec, kind_spec
from .recorder import CancelledByOperator, Recorder, add_step, transient_db_retry
from .request import cpe_refusal, enqueue

logger = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{threading.get_native_id()}"


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
        finish_from(action, ActionStatus.QUEUED, ActionStatus.CANCELLED, "cancelled before it ran")
        return Outcome(ActionStatus.CANCELLED)
    if action.not_after and now > action.not_after:
        finish_from(
            action,
            ActionStatus.QUEUED,
            ActionStatus.EXPIRED,
            f"expired: not run by {timezone.localtime(action.not_after):%Y-%m-%d %H:%M:%S}",
        )
        return Outcome(ActionStatus.EXPIRED)

    # The record may have changed since it was queued (provisioning disabled, address moved).
    reason = _refusal_now(action)
    if reason:
        finish_from(
            action, ActionStatus.QUEUED, ActionStatus.FAILED, f"refused when due to run: {reason}", error=reason
        )
        return Outcome(ActionStatus.FAILED, reason)
    spec = kind_spec(action.kind)
    config = ActionSettings.from_settings()
    worker = worker_name()
    if spec.mutating:
        holder = _acquire_lease(action, worker, now, config.lease_s)
        if holder is not None:
            if holder != _last_wait(action):
                add_step(action, StepLevel.INFO, f"waiting: action {holder} is changing this device")
            enqueue(action.pk, countdown=config.busy_delay())
            return Outcome("busy", str(holder))
    if not _claim(action, worker, now):
        release_lease(action.pk)
        return Outcome("skipped", "claimed elsewhere")
    action.status, action.attempts, action.worker = ActionStatus.RUNNING, action.attempts + 1, worker
    return _execute(action, spec, config)


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
    return cpe_refusal(action.cpe, action.kind)


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
def _acquire_lease(action: DeviceAction, worker: str, now: datetime, lease_s: float) -> int | None:
    """Take the CPE's lease; None when taken, else the id of the action holding it."""
    expires = now + timedelta(seconds=lease_s)
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
def release_lease(action_id: int) -> None:
    DeviceLease.objects.filter(action_id=action_id).delete()


def conclude(action: DeviceAction, status: str, message: str, **fields: Any) -> bool:
    """End a running action, then free its device: the lease goes only after the final status is written,
    so the next action on the device starts after this one has finished, never a few milliseconds before."""
    done = finish_from(action, ActionStatus.RUNNING, status, message, **fields)
    release_lease(action.pk)
    return done


@transient_db_retry
def finish_from(action: DeviceAction, expected: str, status: str, message: str, **fields: Any) -> bool:
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


def _execute(action: DeviceAction, spec: ActionKindSpec, config: ActionSettings) -> Outcome:
    recorder = Recorder(action, config)
    cpe = action.cpe
    try:
        desired: DeviceConfig | None = None
        inp = None
        if spec.renders_config or action.kind == ActionKind.DIAGNOSTIC:
            inp = transient_db_retry(from_cpe)(cpe, action.params)
        if spec.renders_config:
            desired = render(inp, action.kind)
        elif action.kind == ActionKind.DIAGNOSTIC and not problems(inp, ActionKind.REPROVISION):
            try:
                desired = render(inp, ActionKind.REPROVISION)
            except ProvisioningError:
                desired = None
        recorder.write_step(
            StepLevel.INFO,
            f"attempt {action.attempts} of {action.max_attempts} on {recorder.action.worker}: "
            f"{spec.description} ({cpe.model.name} at {cpe.management_address})",
        )
        driver = driver_for(cpe)
        timeout = config.device_timeout_s
        if timeout:
            # Before the first request: the HTTP client is created lazily from the endpoint.
            driver.endpoint = replace(
                driver.endpoint,
                timeout=float(timeout),
                connect_timeout=min(float(timeout), driver.endpoint.connect_timeout),
            )
        result = asyncio.run(_device_work(action, spec, driver, recorder, desired))
    except CancelledByOperator as exc:
        recorder.close()
        conclude(action, ActionStatus.CANCELLED, f"cancelled by the operator at {exc}")
        return Outcome(ActionStatus.CANCELLED)
    except (DeviceError, ProvisioningError) as exc:
        recorder.close()
        return _failed_attempt(action, exc, config)
    except Exception as exc:
        logger.exception("action %s crashed", action.pk)
        recorder.close()
        conclude(
            action,
            ActionStatus.FAILED,
            f"internal error: {exc.__class__.__name__}: {exc}",
            error=f"internal error: {exc}"[:2000],
        )
        return Outcome(ActionStatus.FAILED, str(exc))
    recorder.close()
    summary = _summary(action.kind, result)
    conclude(action, ActionStatus.SUCCEEDED, summary, result=result, error="", error_step="")
    return Outcome(ActionStatus.SUCCEEDED)


def _summary(kind: str, result: dict[str, Any]) -> str:
    drift = result.get("drift")
    if isinstance(drift, dict) and "in_sync" in drift:
        state = "in sync" if drift["in_sync"] else f"{len(drift['differences'])} field(s) differ"
        return f"{kind} succeeded; running configuration {state}"
    return f"{kind} succeeded"


def _failed_attempt(action: DeviceAction, exc: Exception, config: ActionSettings) -> Outcome:
    step = getattr(exc, "step", None) or ""
    retryable = bool(getattr(exc, "retryable", False))
    kind = exc.__class__.__name__
    text = f"{kind}: {exc}"
    failure = {"error": text[:2000], "error_step": step[:200]}
    if retryable and action.attempts < action.max_attempts:
        delay = config.retry_delay(action.attempts)
        retry_at = timezone.now() + timedelta(seconds=delay)
        if action.not_after and retry_at > action.not_after:
            conclude(
                action,
                ActionStatus.EXPIRED,
                f"attempt {action.attempts} failed ({text}); the next try would be after not_after: expired",
                **failure,
            )
            return Outcome(ActionStatus.EXPIRED)
        release_lease(action.pk)  # back to the queue: another action may use the device meanwhile
        moved = transient_db_retry(DeviceAction.objects.filter(pk=action.pk, status=ActionStatus.RUNNING).update)(
            status=ActionStatus.QUEUED, next_attempt=retry_at, worker="", **failure
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
    conclude(
        action,
        ActionStatus.FAILED,
        f"{why} attempt {action.attempts} at {step or 'connect'}: {text}",
        **failure,
    )
    return Outcome(ActionStatus.FAILED, text)


async def _device_work(
    action: DeviceAction, spec: ActionKindSpec, driver: DeviceDriver, rec: Recorder, desired: DeviceConfig | None
) -> dict[str, Any]:
    beating = asyncio.create_task(rec.heartbeat_forever())
    try:
        async with driver:
            await rec.checkpoint("start")
            return await spec.work(action, driver, rec, desired)
    finally:
        beating.cancel()


@transient_db_retry
def give_up(action_id: int, deliveries: int) -> None:
    """The task's worker died on every delivery (portal.celery.BoundedRedeliveryTask gave up)."""
    action = DeviceAction.objects.filter(pk=action_id).first()
    if action is None or action.is_finished:
        return
    finish_from(
        action,
        action.status,
        ActionStatus.FAILED,
        f"the worker died on each of {deliveries} deliveries of this action; given up",
        error="worker lost repeatedly",
    )
    release_lease(action_id)
