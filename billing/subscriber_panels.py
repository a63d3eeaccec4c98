"""What billing adds to the subscriber page: "Record payment", the plan, the balance and the latest invoices."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from subscribers.models import Subscriber
from subscribers.panels import Panel

from .models import Invoice, Subscription
from .services import subscriber_balance

TEMPLATE = "billing/subscriber_panels.html"


def _plan(subscriber: Subscriber, request: HttpRequest) -> dict[str, Any]:
    subscriptions = (
        Subscription.objects.for_tenant(subscriber.tenant_id)
        .filter(subscriber=subscriber)
        .select_related("plan")
        .order_by("-start_date", "-id")[:5]
    )
    return {"subscriptions": subscriptions, "today": timezone.now().date()}


def _balance(subscriber: Subscriber, request: HttpRequest) -> dict[str, Any]:
    return {"balance": subscriber_balance(subscriber)}


def _invoices(subscriber: Subscriber, request: HttpRequest) -> dict[str, Any]:
    invoices = (
        Invoice.objects.for_tenant(subscriber.tenant_id)
        .filter(subscriber=subscriber)
        .order_by("-period_start", "-id")[:6]
    )
    return {"invoices": invoices, "today": timezone.now().date()}


PANELS = (
    Panel(
        "record-payment",
        "Record payment",
        f"{TEMPLATE}#record_payment",
        lambda s, r: {},
        "actions",
        20,
        "billing.change",
    ),
    Panel("plan", "Plan", f"{TEMPLATE}#plan", _plan, "side", 20),
    Panel("balance", "Balance", f"{TEMPLATE}#balance", _balance, "side", 40),
    Panel("invoices", "Invoices", f"{TEMPLATE}#invoices", _invoices, "main", 40),
)
