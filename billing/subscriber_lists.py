"""What billing adds to the subscriber lists: the plan filter and the plan/balance columns.

Registered in ``BillingConfig.ready()`` through :mod:`subscribers.extensions`
(subscribers never imports billing). The columns are subqueries
(:func:`billing.selectors.with_billing_summary`), so a list costs the same
queries for 5 or 50 rows.
"""

from __future__ import annotations

from django.db.models import F, QuerySet
from django.utils import timezone

from subscribers import extensions

from .selectors import subscribers_on_plan, with_billing_summary


def on_plan(subscribers: QuerySet, plan: str) -> QuerySet:
    """``?plan=``: subscribers on the plan (code or id) today."""
    return subscribers_on_plan(subscribers, plan, timezone.now().date())


def summary(subscribers: QuerySet) -> QuerySet:
    """ISPChamp's ``plan`` and ``balance`` read ``current_plan_code``, ``paid_total``, ``invoiced_total``."""
    return with_billing_summary(subscribers, timezone.now().date())


def page_columns(subscribers: QuerySet) -> QuerySet:
    """The list page shows the plan and the balance (paid minus invoiced: negative means the subscriber owes)."""
    return summary(subscribers).annotate(balance=F("paid_total") - F("invoiced_total"))


def register() -> None:
    extensions.register_filter("plan", on_plan)
    extensions.register_annotation("page", "billing", page_columns)
    extensions.register_annotation("api_v1", "billing", summary)
