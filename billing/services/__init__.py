"""Billing operations: billing runs, invoice numbering, payments, dunning.

One module per seam: ``runs`` (periods, gapless invoice numbers, issuing and
queueing billing runs), ``payments`` (payments, credit allocation, balances,
dunning), ``subscriptions`` (plans that end with the subscriber). Callers
use ``billing.services.<name>``; the names are re-exported here.

The guarantees, and what provides them:

* **No double billing.** ``Invoice`` has a unique constraint on (tenant,
  subscriber, period_start); a chunk that races a concurrent issuer rolls
  back and is recomputed (``runs``).
* **Gapless numbers.** The tenant's per-year counter row is locked and
  advanced in the transaction that inserts the invoices (``runs``).
* **One payment per Idempotency-Key** (portal.idempotency): a replay with the
  same body returns the first payment, with another body it is an
  :class:`IdempotencyConflict` (``payments``).
* **Allocation is serialized per subscriber** (``payments``).
"""

from portal.idempotency import IdempotencyConflict
from portal.idempotency import fingerprint as request_fingerprint

from .payments import (
    DunningResult,
    PaymentResult,
    apply_credit,
    dunning_cutoff,
    in_arrears,
    record_payment,
    restore_if_cleared,
    run_dunning,
    subscriber_balance,
)
from .runs import (
    CHUNK_ATTEMPTS,
    CHUNK_SIZE,
    PAYMENT_TERMS_DAYS,
    BillingRunResult,
    format_number,
    lock_sequence,
    money,
    month_bounds,
    prorate,
    queue_billing_run,
    run_billing,
    start_billing_run,
)
from .subscriptions import end_open_subscriptions, on_subscriber_status_changed

__all__ = [
    "CHUNK_ATTEMPTS",
    "CHUNK_SIZE",
    "PAYMENT_TERMS_DAYS",
    "BillingRunResult",
    "DunningResult",
    "IdempotencyConflict",
    "PaymentResult",
    "apply_credit",
    "dunning_cutoff",
    "end_open_subscriptions",
    "format_number",
    "in_arrears",
    "lock_sequence",
    "money",
    "month_bounds",
    "on_subscriber_status_changed",
    "prorate",
    "queue_billing_run",
    "record_payment",
    "request_fingerprint",
    "restore_if_cleared",
    "run_billing",
    "run_dunning",
    "start_billing_run",
    "subscriber_balance",
]
