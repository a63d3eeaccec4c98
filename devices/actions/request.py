"""Asking for device actions: one or a batch, idempotency keys, cancellation, batch progress.

:func:`request_action` refuses what a CPE cannot do up front (model
capabilities, ``disable_provision``/``disable_reconfig``, a missing
management address, a configuration that cannot be rendered), then creates
the row and its first step inside the caller's transaction and enqueues
``devices.run_action`` with ``transaction.on_commit`` — a rolled-back request
never leaves a task behind, and a worker never sees a row that is not there.
The task is sent by name: this package never imports ``devices.tasks``
(which imports it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from celery import signature
from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from portal.idempotency import MAX_KEY_LENGTH, replay_or_create

from ..choices import ActionSource, ActionStatus, StepLevel
from ..connect import check_management_address
from ..drivers.base import DeviceError
from ..models import ActionBatch, Cpe, DeviceAction, DeviceActionStep
from ..models.actions import FINISHED_STATUSES
from ..provisioning import ProvisioningError, from_cpe, render
from ..selectors import model_refusal
from .config import ActionSettings
from .kinds import kind_spec
from .recorder import add_step, transient_db_retry

# The most CPEs one batch may name or select (API and bulk page alike): a bigger job is several batches.
MAX_BATCH_IDS = 10_000

RUN_TASK = "devices.run_action"


# ---------------------------------------------------------------------------
# Errors a caller can cause (the API answers them as 4xx)
# ---------------------------------------------------------------------------


class ActionRefused(Exception):
    """The action cannot run on this CPE; ``reason`` says why (answered before anything is queued)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ActionFinished(Exception):
    """The action already finished; there is nothing to cancel."""


class BatchNotConfirmed(Exception):
    """A batch that cannot be undone targets more devices than ``NOC_BATCH_CONFIRM_OVER`` without the count confirmed.

    A typo in a filter must not factory-reset the fleet: the caller repeats the
    number of devices it expects to hit (``confirm_count``), as the page's
    dialog does, and a different number refuses the whole batch.
    """

    def __init__(self, label: str, count: int, confirm_over: int, confirm_count: int | None) -> None:
        got = "none was given" if confirm_count is None else f"{confirm_count} was given"
        message = (
            f"{label} cannot be undone and this selection targets {count} devices (more than {confirm_over}): "
            f"confirm with confirm_count={count} ({got})."
        )
        super().__init__(message)
        self.count = count
        self.message = message


def batch_confirm_over() -> int:
    """Destructive batches over more devices than this need ``confirm_count`` (setting NOC_BATCH_CONFIRM_OVER)."""
    return int(getattr(settings, "NOC_BATCH_CONFIRM_OVER", 10))


# ---------------------------------------------------------------------------
# Asking for actions
# ---------------------------------------------------------------------------


def cpe_refusal(cpe: Cpe, kind: str) -> str | None:
    """Model capabilities, the record's flags and the management address (no rendering, no I/O)."""
    reason = model_refusal(cpe, kind)
    if reason:
        return reason
    try:
        check_management_address(cpe.management_address, cpe.tenant.management_networks)
    except DeviceError as exc:
        return f"The portal cannot reach this CPE: {exc.message}."
    return None


def check_action(cpe: Cpe, kind: str, params: Mapping[str, Any] | None = None) -> str | None:
    """Why ``kind`` cannot run on ``cpe`` (None: it can). Needs cpe.model and cpe.tenant loaded."""
    reason = cpe_refusal(cpe, kind)
    if reason:
        return reason
    if kind_spec(kind).renders_config:
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
    portal.idempotency.IdempotencyConflict when the key was used for another CPE or kind.
    """
    kind_spec(kind)  # unknown kinds are a programming error, not a refusal
    config = ActionSettings.from_settings()
    params = dict(params or {})
    idempotency_key = (idempotency_key or "").strip()
    if len(idempotency_key) > MAX_KEY_LENGTH:
        # Never cut: two keys that differ after the cut would replay each other (the API answers 400 first).
        raise ValueError(f"an Idempotency-Key has at most {MAX_KEY_LENGTH} characters")

    def refuse() -> None:
        reason = check_action(cpe, kind, params)
        if reason:
            raise ActionRefused(reason)

    def create() -> DeviceAction:
        return DeviceAction.objects.create(
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
            max_attempts=config.max_attempts,
            enqueued=timezone.now(),
        )

    action, created = replay_or_create(
        idempotency_key,
        find=lambda key: (
            DeviceAction.objects.filter(tenant_id=cpe.tenant_id, idempotency_key=key).select_related("cpe").first()
        ),
        create=create,
        conflict=lambda first: _key_conflict(first, cpe, kind),
        check=refuse,
    )
    if created:
        who = getattr(requested_by, "username", "") or "system"
        origin = f" from {requested_from}" if requested_from else ""
        add_step(action, StepLevel.INFO, f"{kind} queued by {who} via {source}{origin}")
        transaction.on_commit(lambda: enqueue(action.pk))
    return action, created


def _key_conflict(first: DeviceAction, cpe: Cpe, kind: str) -> str:
    """Why the key's first action answers another request ("" when it is the same CPE and kind)."""
    if first.cpe_id != cpe.pk or first.kind != kind:
        return f"This Idempotency-Key was already used for {first.kind} on CPE {first.cpe_id} (action {first.pk})."
    return ""


@transient_db_retry
def enqueue(action_id: int, countdown: float | None = None) -> None:
    """Send the task (the row's ``enqueued`` time is what the reaper checks for lost messages)."""
    DeviceAction.objects.filter(pk=action_id).update(enqueued=timezone.now())
    _send(action_id, ActionSettings.from_settings(), countdown)


def _send(action_id: int, config: ActionSettings, countdown: float | None = None) -> None:
    # By name: devices.tasks imports this package, not the other way round.
    signature(RUN_TASK, args=(action_id,)).apply_async(countdown=countdown, **config.queue_options())


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
    confirm_count: int | None = None,
) -> ActionBatch:
    """One action per CPE that can do ``kind``; the others are listed as skipped with the reason.

    ``cpes`` should carry model/tenant/profiles (select_related) and POTS
    lines (prefetch) so checking a thousand devices stays a few queries.
    A kind marked ``danger`` over more than :func:`batch_confirm_over` devices
    needs ``confirm_count`` equal to the number of CPEs given, else
    :class:`BatchNotConfirmed` (nothing is created).
    """
    spec = kind_spec(kind)  # unknown kinds are a programming error, not a refusal
    cpes = list(cpes)
    confirm_over = batch_confirm_over()
    if spec.danger and len(cpes) > confirm_over and confirm_count != len(cpes):
        raise BatchNotConfirmed(spec.label, len(cpes), confirm_over, confirm_count)
    config = ActionSettings.from_settings()
    params = dict(params or {})
    skipped = [{"cpe": ident, "reason": "No such CPE."} for ident in missing]
    now = timezone.now()
    # What the batch and each of its actions share.
    asked = {"tenant": tenant, "kind": kind, "params": params, "requested_by": requested_by, "not_after": not_after}
    with transaction.atomic():
        batch = ActionBatch.objects.create(
            source=source, requested_from=requested_from[:120], selection=dict(selection or {}), **asked
        )
        rows = []
        for cpe in cpes:
            reason = check_action(cpe, kind, params)
            if reason:
                skipped.append({"cpe": cpe.pk, "reason": reason})
                continue
            rows.append(
                DeviceAction(
                    cpe=cpe,
                    batch=batch,
                    source=ActionSource.BATCH,
                    requested_from=f"batch {batch.pk}",
                    max_attempts=config.max_attempts,
                    enqueued=now,
                    **asked,
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
    config = ActionSettings.from_settings()
    for action_id in ids:
        _send(action_id, config)


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
