"""Read queries on billing data that the API, pages and tasks share."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from portal.inputs import parse_id

from .choices import InvoiceStatus
from .models import Invoice, Payment, Subscription

_MONEY = DecimalField(max_digits=14, decimal_places=2)


def current_subscriptions(on: date) -> QuerySet:
    return Subscription.objects.filter(start_date__lte=on).filter(Q(end_date__isnull=True) | Q(end_date__gte=on))


def with_billing_summary(subscribers: QuerySet, today: date) -> QuerySet:
    """Annotate ``current_plan_code``, ``invoiced_total``, ``paid_total`` with subqueries (no N+1).

    The balance is paid minus invoiced in the subscriber's currency: the
    portal assumes one currency per subscriber (per-currency figures:
    billing.services.subscriber_balance).
    """
    plan = current_subscriptions(today).filter(subscriber=OuterRef("pk")).order_by("-start_date", "-id")
    invoiced = (
        Invoice.objects.filter(subscriber=OuterRef("pk"))
        .exclude(status=InvoiceStatus.VOID)
        .order_by()
        .values("subscriber")
        .annotate(s=Sum("total"))
        .values("s")
    )
    paid = (
        Payment.objects.filter(subscriber=OuterRef("pk"))
        .order_by()
        .values("subscriber")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    zero = Value(Decimal("0.00"), output_field=_MONEY)
    return subscribers.annotate(
        current_plan_code=Subquery(plan.values("plan__code")[:1]),
        invoiced_total=Coalesce(Subquery(invoiced, output_field=_MONEY), zero),
        paid_total=Coalesce(Subquery(paid, output_field=_MONEY), zero),
    )


def subscribers_on_plan(subscribers: QuerySet, plan: str, today: date) -> QuerySet:
    """Subscribers currently on the plan given by code or numeric id."""
    plan_id = parse_id(plan)  # "²" passes isdigit() but is no id
    match = Q(plan__code=plan) | (Q(plan_id=plan_id) if plan_id is not None else Q(pk__in=[]))
    return subscribers.filter(pk__in=current_subscriptions(today).filter(match).values("subscriber_id"))
