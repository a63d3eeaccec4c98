"""Device actions: ask, run, retry, cancel, recover (the only code that changes action rows).

One module per stage of an action's life:

- :mod:`~devices.actions.kinds` — one record per action kind (label, Krill
  link, roles, danger, what the driver must support, its work coroutine);
- :mod:`~devices.actions.request` — asking: refusals up front, one action or
  a batch, idempotency keys, cancellation; the task is enqueued on commit;
- :mod:`~devices.actions.runner` — one delivery of the task: claim, device
  lease, the work, retry with backoff or finish;
- :mod:`~devices.actions.recorder` — the step log, heartbeats and
  cancellation checks while the device is talked to;
- :mod:`~devices.actions.work` — what each kind does on the device;
- :mod:`~devices.actions.reaper` — recovery of lost workers and messages;
- :mod:`~devices.actions.config` — the ``NOC_ACTION_*`` settings.

The names below are what the rest of the portal calls (``IdempotencyConflict`` is
portal.idempotency's, named here for the callers that catch it).
"""

from portal.idempotency import IdempotencyConflict

from .config import ActionSettings
from .kinds import KINDS, ActionKindSpec, kind_spec, refusal
from .reaper import reap_lost
from .recorder import add_step, transient_db_retry
from .request import (
    MAX_BATCH_IDS,
    ActionFinished,
    ActionRefused,
    batch_totals,
    cancel,
    cancel_batch,
    check_action,
    enqueue,
    request_action,
    request_batch,
)
from .runner import Outcome, give_up, run

__all__ = [
    "KINDS",
    "MAX_BATCH_IDS",
    "ActionFinished",
    "ActionKindSpec",
    "ActionRefused",
    "ActionSettings",
    "IdempotencyConflict",
    "Outcome",
    "add_step",
    "batch_totals",
    "cancel",
    "cancel_batch",
    "check_action",
    "enqueue",
    "give_up",
    "kind_spec",
    "reap_lost",
    "refusal",
    "request_action",
    "request_batch",
    "run",
    "transient_db_retry",
]
