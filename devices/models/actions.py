"""The device-action engine's records: actions, their steps, batches and per-device leases.

A :class:`DeviceAction` is the single record of intent for one operation on
one CPE (who asked, what, when, how it went). Its steps live in
:class:`DeviceActionStep` rows numbered per action, so a UI can stream them
with ``?since=<seq>`` on an index instead of re-reading a growing JSON blob.
An :class:`ActionBatch` groups the actions of one bulk request.

:class:`DeviceLease` is the per-device mutual exclusion of mutating actions:
one row per CPE (unique), inserted in a short transaction when an action
starts and deleted when it ends; a lease whose holder stopped renewing it
expires. It works the same on SQLite and PostgreSQL and across processes,
and no transaction stays open during device I/O. The logic is in
``devices.actions``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from portal.models import TenantOwned, acting_user

from ..choices import ActionKind, ActionSource, ActionStatus, StepLevel

FINISHED_STATUSES = (ActionStatus.SUCCEEDED, ActionStatus.FAILED, ActionStatus.CANCELLED, ActionStatus.EXPIRED)


class ActionBatch(TenantOwned):
    """One bulk request: the same action on many CPEs, with progress and the devices skipped."""

    kind = models.CharField("kind", max_length=16, choices=ActionKind.choices)
    params = models.JSONField("parameters", default=dict, blank=True)
    source = models.CharField("source", max_length=16, choices=ActionSource.choices, default=ActionSource.API)
    requested_by = acting_user("requested by")
    requested_from = models.CharField("requested from", max_length=120, blank=True)
    # The selection as asked for: {"cpes": [ids]} or {"filter": {...}}.
    selection = models.JSONField("selection", default=dict, blank=True)
    # [{"cpe": id, "reason": "..."}]: devices refused up front (unsupported, provisioning disabled...).
    skipped = models.JSONField("skipped devices", default=list, blank=True)
    total = models.PositiveIntegerField("actions queued", default=0)
    not_after = models.DateTimeField("run no later than", null=True, blank=True)
    created = models.DateTimeField("created", auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = "action batch"
        verbose_name_plural = "action batches"

    def __str__(self) -> str:
        return f"batch #{self.pk} {self.kind} ({self.total})"


class DeviceAction(TenantOwned):
    """One operation on one CPE: queued → running → succeeded | failed | cancelled | expired."""

    cpe = models.ForeignKey("devices.Cpe", on_delete=models.CASCADE, related_name="actions", verbose_name="CPE")
    batch = models.ForeignKey(
        ActionBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="actions", verbose_name="batch"
    )
    kind = models.CharField("kind", max_length=16, choices=ActionKind.choices)
    params = models.JSONField("parameters", default=dict, blank=True)
    source = models.CharField("source", max_length=16, choices=ActionSource.choices, default=ActionSource.API)
    requested_by = acting_user("requested by")
    # Client address (UI/API) or the schedule's/batch's name: "from where" it was asked.
    requested_from = models.CharField("requested from", max_length=120, blank=True)
    idempotency_key = models.CharField("idempotency key", max_length=255, blank=True)
    status = models.CharField(
        "status", max_length=16, choices=ActionStatus.choices, default=ActionStatus.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField("attempts", default=0)
    max_attempts = models.PositiveSmallIntegerField("maximum attempts", default=4)
    not_after = models.DateTimeField("run no later than", null=True, blank=True)
    cancel_requested = models.BooleanField("cancellation requested", default=False)
    result = models.JSONField("result", null=True, blank=True)
    error = models.TextField("error", blank=True)
    error_step = models.CharField("failed at step", max_length=200, blank=True)
    # Execution bookkeeping (the reaper reads these).
    worker = models.CharField("worker", max_length=200, blank=True)
    heartbeat = models.DateTimeField("last heartbeat", null=True, blank=True)
    enqueued = models.DateTimeField("last enqueued", null=True, blank=True)
    next_attempt = models.DateTimeField("next attempt", null=True, blank=True)
    step_count = models.PositiveIntegerField("steps", default=0)
    created = models.DateTimeField("created", auto_now_add=True)
    started = models.DateTimeField("started", null=True, blank=True)
    finished = models.DateTimeField("finished", null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = "device action"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="deviceaction_unique_idempotency_key",
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "cpe", "-created"], name="deviceaction_cpe_recent"),
            models.Index(fields=["status", "heartbeat"], name="deviceaction_status_beat"),
            models.Index(fields=["tenant", "status", "finished"], name="deviceaction_tenant_status"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} on CPE {self.cpe_id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES


class DeviceActionStep(models.Model):
    """One line of an action's log; ``seq`` counts from 1 per action (stream with since=seq)."""

    action = models.ForeignKey(DeviceAction, on_delete=models.CASCADE, related_name="steps", verbose_name="action")
    seq = models.PositiveIntegerField("number")
    time = models.DateTimeField("time")
    level = models.CharField("level", max_length=8, choices=StepLevel.choices, default=StepLevel.INFO)
    message = models.CharField("message", max_length=500)
    attempt = models.PositiveSmallIntegerField("attempt", default=0)

    class Meta:
        ordering = ["action", "seq"]
        verbose_name = "action step"
        constraints = [models.UniqueConstraint(fields=["action", "seq"], name="deviceactionstep_unique_seq")]

    def __str__(self) -> str:
        return f"{self.action_id}#{self.seq} {self.level}: {self.message}"


class DeviceLease(models.Model):
    """Who may change a CPE right now: at most one row per CPE (the lock of mutating actions)."""

    cpe = models.OneToOneField("devices.Cpe", on_delete=models.CASCADE, related_name="lease", verbose_name="CPE")
    action = models.OneToOneField(DeviceAction, on_delete=models.CASCADE, related_name="lease", verbose_name="action")
    holder = models.CharField("holder", max_length=200, blank=True)
    acquired = models.DateTimeField("acquired")
    expires_at = models.DateTimeField("expires", db_index=True)

    class Meta:
        verbose_name = "device lease"

    def __str__(self) -> str:
        return f"CPE {self.cpe_id} held by action {self.action_id} until {self.expires_at:%H:%M:%S}"
