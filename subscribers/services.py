"""Business operations of the subscribers app: the only place that changes its rows.

- Krill customers and POTS lines (API v2);
- a subscriber's service status, with the :class:`~subscribers.models.ServiceEvent`
  the network side acts on.

Every change is audited through django-simple-history with the acting user and
a change reason. Errors a caller can cause are Django ``ValidationError`` with a
field and a code; the APIs turn them into 400s.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.dispatch import Signal

from portal.models import Tenant

from .choices import (
    ServiceEventKind,
    ServiceEventReason,
    SubscriberStatus,
)
from .models import PotsLine, ServiceEvent, Subscriber

# Sent after a subscriber's status changed (inside the transaction), with
# ``subscriber``, ``old_status``, ``new_status``, ``by``. Billing listens to
# end subscriptions of a deactivated subscriber without this app importing billing.
subscriber_status_changed = Signal()

# Status change → what the network must do (None: nothing to provision).
_EVENT_FOR = {
    (SubscriberStatus.ACTIVE, SubscriberStatus.SUSPENDED): ServiceEventKind.SUSPEND,
    (SubscriberStatus.ACTIVE, SubscriberStatus.INACTIVE): ServiceEventKind.SUSPEND,
    (SubscriberStatus.SUSPENDED, SubscriberStatus.ACTIVE): ServiceEventKind.RESTORE,
    (SubscriberStatus.INACTIVE, SubscriberStatus.ACTIVE): ServiceEventKind.RESTORE,
}


def set_subscriber_status(
    subscriber: Subscriber,
    status: str,
    *,
    reason: str = ServiceEventReason.MANUAL,
    by=None,
    detail: str = "",
) -> ServiceEvent | None:
    """Move a subscriber to ``status``; records the network event and the audit trail.

    Idempotent: asking for the status it already has changes nothing and
    returns None. The row is locked so two concurrent changes serialize.
    """
    with transaction.atomic():
        locked = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        old = locked.status
        if old == status:
            subscriber.status = status
            return None
        locked.status = status
        locked._history_user = by
        locked._change_reason = f"{reason}: {detail}"[:100] if detail else reason
        locked.save(update_fields=["status", "updated"])
        kind = _EVENT_FOR.get((old, status))
        event = None
        if kind is not None:
            event = ServiceEvent.objects.create(
                tenant_id=locked.tenant_id,
                subscriber=locked,
                kind=kind,
                reason=reason,
                detail=detail[:255],
                triggered_by=by if getattr(by, "is_authenticated", False) else None,
            )
        subscriber_status_changed.send(sender=Subscriber, subscriber=locked, old_status=old, new_status=status, by=by)
    subscriber.status = locked.status
    subscriber.updated = locked.updated
    return event


def suspend_subscriber(subscriber: Subscriber, *, reason: str = ServiceEventReason.MANUAL, by=None, detail: str = ""):
    if subscriber.status == SubscriberStatus.INACTIVE:
        raise ValidationError(
            {"status": "A deactivated subscriber cannot be suspended; activate it first."}, code="invalid_transition"
        )
    return set_subscriber_status(subscriber, SubscriberStatus.SUSPENDED, reason=reason, by=by, detail=detail)


def activate_subscriber(subscriber: Subscriber, *, reason: str = ServiceEventReason.MANUAL, by=None, detail: str = ""):
    return set_subscriber_status(subscriber, SubscriberStatus.ACTIVE, reason=reason, by=by, detail=detail)


def deactivate_subscriber(subscriber: Subscriber, *, by=None, detail: str = ""):
    """Soft delete: the row, its history, invoices and tickets stay; the service goes down."""
    return set_subscriber_status(
        subscriber, SubscriberStatus.INACTIVE, reason=ServiceEventReason.MANUAL, by=by, detail=detail or "deactivated"
    )


def suspended_by_dunning(subscriber: Subscriber) -> bool:
    """True if the subscriber's current suspension came from dunning (not from an operator)."""
    last = (
        ServiceEvent.objects.filter(subscriber=subscriber, kind=ServiceEventKind.SUSPEND)
        .order_by("-created", "-id")
        .values_list("reason", flat=True)
        .first()
    )
    return subscriber.status == SubscriberStatus.SUSPENDED and last == ServiceEventReason.DUNNING


# --- Krill customers and POTS lines (API v2) ---------------------------------
def create_subscriber(*, tenant: Tenant, data: dict[str, Any]) -> Subscriber:
    return Subscriber.objects.create(tenant=tenant, **data)


def update_subscriber(subscriber: Subscriber, data: dict[str, Any]) -> Subscriber:
    for name, value in data.items():
        setattr(subscriber, name, value)
    subscriber.save()
    return subscriber


def next_pots_order(cpe) -> int:
    """The first free port/account number on a CPE (Krill numbers lines from 1)."""
    highest = PotsLine.objects.filter(cpe=cpe).aggregate(m=Max("order"))["m"]
    return (highest or 0) + 1


def generated_lineid(cpename: str, order: int) -> str:
    """Krill's line id when none is given: ``<cpename>-<order>`` (e.g. ``pim0074-2``)."""
    return f"{cpename}-{order}"


@transaction.atomic
def create_pots_line(*, tenant: Tenant, data: dict[str, Any]) -> PotsLine:
    data = dict(data)
    cpe = data["cpe"]
    if not data.get("order"):
        data["order"] = next_pots_order(cpe)
    if not data.get("lineid"):
        data["lineid"] = generated_lineid(cpe.cpename or str(cpe.pk), data["order"])
    return PotsLine.objects.create(tenant=tenant, **data)


def update_pots_line(line: PotsLine, data: dict[str, Any]) -> PotsLine:
    for name, value in data.items():
        setattr(line, name, value)
    if not line.lineid:
        line.lineid = generated_lineid(line.cpe.cpename or str(line.cpe_id), line.order)
    line.save()
    return line
