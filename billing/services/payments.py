"""Payments, credit allocation, balances and dunning.

* One payment per Idempotency-Key (portal.idempotency): unique (tenant, key);
  a replay with the same body returns the first payment, with another body it
  is an ``IdempotencyConflict``. A concurrent replay blocks on the unique
  index until the first commits, then finds it.
* Allocation is serialized per subscriber (the subscriber row is locked while
  payments are applied to the oldest open invoices).
* Dunning suspends subscribers with invoices overdue beyond the tenant's grace
  period and restores them once a payment clears the debt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Sum
from django.utils import timezone

from portal import idempotency
from portal.models import Tenant
from subscribers.choices import ServiceEventReason, SubscriberStatus
from subscribers.models import Subscriber
from subscribers.services import activate_subscriber, suspend_subscriber, suspended_by_dunning

from ..choices import InvoiceStatus
from ..models import (
    Invoice,
    Payment,
    PaymentAllocation,
)
from .runs import money

# --- payments --------------------------------------------------------------------


_BODY_CONFLICT = "This Idempotency-Key was already used with a different request body."


@dataclass(frozen=True)
class PaymentResult:
    payment: Payment
    replayed: bool  # True: the key was seen before; this is the first request's payment


def record_payment(
    tenant: Tenant,
    *,
    subscriber: Subscriber,
    amount: Decimal,
    currency: str,
    method: str,
    received_on: date,
    reference: str = "",
    by=None,
    idempotency_key: str = "",
    fingerprint: str = "",
) -> PaymentResult:
    """Record a payment, apply it to the oldest open invoices and restore a subscriber whose debt it clears."""
    if subscriber.tenant_id != tenant.pk:
        raise ValidationError({"subscriber": "Unknown subscriber."}, code="does_not_exist")
    actor = by if getattr(by, "is_authenticated", False) else None

    def create() -> Payment:
        payment = Payment(
            tenant=tenant,
            subscriber=subscriber,
            amount=amount,
            currency=currency,
            method=method,
            reference=reference,
            received_on=received_on,
            unapplied=amount,
            idempotency_key=idempotency_key,
            request_fingerprint=fingerprint,
            recorded_by=actor,
        )
        payment._history_user = actor
        payment.save()
        apply_credit(subscriber, by=actor)
        restore_if_cleared(subscriber, by=actor, detail=f"payment {payment.pk} cleared the overdue invoices")
        return payment

    payment, created = idempotency.replay_or_create(
        idempotency_key,
        find=lambda key: Payment.objects.filter(tenant=tenant, idempotency_key=key).first(),
        create=create,
        conflict=lambda first: "" if first.request_fingerprint == fingerprint else _BODY_CONFLICT,
    )
    if created:
        payment.refresh_from_db()
    return PaymentResult(payment, replayed=not created)


def apply_credit(subscriber: Subscriber, *, by=None) -> int:
    """Apply unapplied payment amounts to the subscriber's open invoices, oldest first.

    Returns the number of allocations made. Locks the subscriber row so
    allocations of one subscriber never interleave.
    """
    with transaction.atomic():
        Subscriber.objects.select_for_update().filter(pk=subscriber.pk).values_list("pk", flat=True).get()
        payments = list(Payment.objects.filter(subscriber=subscriber, unapplied__gt=0).order_by("received_on", "id"))
        if not payments:
            return 0
        invoices = list(
            Invoice.objects.filter(subscriber=subscriber, status=InvoiceStatus.OPEN).order_by(
                "due_date", "period_start", "id"
            )
        )
        allocations: list[PaymentAllocation] = []
        now = timezone.now()
        touched_invoices: dict[int, Invoice] = {}
        touched_payments: dict[int, Payment] = {}
        for invoice in invoices:
            for payment in payments:
                due = invoice.total - invoice.amount_paid
                if due <= 0:
                    break
                if payment.unapplied <= 0 or payment.currency != invoice.currency:
                    continue
                part = min(due, payment.unapplied)
                payment.unapplied -= part
                invoice.amount_paid += part
                allocations.append(PaymentAllocation(payment=payment, invoice=invoice, amount=part))
                touched_invoices[invoice.pk] = invoice
                touched_payments[payment.pk] = payment
            if invoice.amount_paid >= invoice.total:
                invoice.status = InvoiceStatus.PAID
                invoice.paid_at = now
        for invoice in touched_invoices.values():
            invoice._history_user = by
            invoice._change_reason = "payment applied"
            invoice.save(update_fields=["amount_paid", "status", "paid_at"])
        for payment in touched_payments.values():
            Payment.objects.filter(pk=payment.pk).update(unapplied=payment.unapplied)
        PaymentAllocation.objects.bulk_create(allocations)
    return len(allocations)


def subscriber_balance(subscriber: Subscriber) -> dict[str, Decimal]:
    """Per currency: payments received minus invoiced (negative = the subscriber owes)."""
    balance: dict[str, Decimal] = {}
    for row in (
        Invoice.objects.filter(subscriber=subscriber)
        .exclude(status=InvoiceStatus.VOID)
        .values("currency")
        .annotate(total=Sum("total"))
    ):
        balance[row["currency"]] = balance.get(row["currency"], Decimal("0")) - row["total"]
    for row in Payment.objects.filter(subscriber=subscriber).values("currency").annotate(total=Sum("amount")):
        balance[row["currency"]] = balance.get(row["currency"], Decimal("0")) + row["total"]
    return {currency: money(value) for currency, value in sorted(balance.items())}


# --- dunning ---------------------------------------------------------------------


def dunning_cutoff(tenant: Tenant, today: date) -> date:
    """Invoices due before this day are past the tenant's grace period."""
    return today - timedelta(days=tenant.dunning_grace_days)


def _overdue_beyond_grace(tenant: Tenant, today: date):
    return Invoice.objects.filter(tenant=tenant, status=InvoiceStatus.OPEN, due_date__lt=dunning_cutoff(tenant, today))


def in_arrears(subscriber: Subscriber, today: date | None = None) -> bool:
    today = today or timezone.now().date()
    return _overdue_beyond_grace(subscriber.tenant, today).filter(subscriber=subscriber).exists()


def restore_if_cleared(subscriber: Subscriber, *, by=None, detail: str = "", today: date | None = None) -> bool:
    """Restore a subscriber that dunning suspended once nothing is overdue beyond grace any more."""
    subscriber.refresh_from_db(fields=["status"])
    if not suspended_by_dunning(subscriber) or in_arrears(subscriber, today):
        return False
    activate_subscriber(subscriber, reason=ServiceEventReason.PAYMENT, by=by, detail=detail or "debt cleared")
    return True


@dataclass
class DunningResult:
    suspended: int = 0
    restored: int = 0


def run_dunning(tenant: Tenant | None = None, *, today: date | None = None) -> DunningResult:
    """Suspend subscribers with invoices overdue beyond the grace period; restore those who caught up."""
    today = today or timezone.now().date()
    result = DunningResult()
    tenants = [tenant] if tenant is not None else list(Tenant.objects.all())
    for t in tenants:
        # Credit recorded before newer invoices existed settles them first.
        for subscriber in Subscriber.objects.for_tenant(t).filter(
            Exists(Payment.objects.filter(subscriber=OuterRef("pk"), unapplied__gt=0)),
            Exists(Invoice.objects.filter(subscriber=OuterRef("pk"), status=InvoiceStatus.OPEN)),
        ):
            apply_credit(subscriber)
        overdue = _overdue_beyond_grace(t, today)
        debtors = Subscriber.objects.for_tenant(t).filter(
            status=SubscriberStatus.ACTIVE, pk__in=overdue.values("subscriber_id")
        )
        for subscriber in debtors:
            oldest = overdue.filter(subscriber=subscriber).order_by("due_date").first()
            detail = f"invoice {oldest.number} due {oldest.due_date} unpaid" if oldest else "overdue invoices"
            suspend_subscriber(subscriber, reason=ServiceEventReason.DUNNING, detail=detail)
            result.suspended += 1
        for subscriber in (
            Subscriber.objects.for_tenant(t)
            .filter(status=SubscriberStatus.SUSPENDED)
            .exclude(pk__in=overdue.values("subscriber_id"))
        ):
            if restore_if_cleared(subscriber, detail="no invoice overdue beyond grace", today=today):
                result.restored += 1
    return result
