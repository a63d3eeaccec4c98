"""Subscriptions follow the subscriber: a deactivated subscriber's plans end that day."""

from __future__ import annotations

from datetime import date

from django.db.models import Q
from django.utils import timezone

from subscribers.choices import SubscriberStatus
from subscribers.models import Subscriber

from ..models import (
    Subscription,
)


def end_open_subscriptions(subscriber: Subscriber, on: date) -> int:
    """End the subscriber's running subscriptions on ``on`` (deactivation): later runs bill up to that day."""
    count = 0
    for sub in Subscription.objects.filter(subscriber=subscriber).filter(Q(end_date__isnull=True) | Q(end_date__gt=on)):
        sub.end_date = max(on, sub.start_date)
        sub._change_reason = "subscriber deactivated"
        sub.save(update_fields=["end_date"])
        count += 1
    return count


def on_subscriber_status_changed(sender, subscriber, old_status, new_status, by=None, **kwargs) -> None:
    if new_status == SubscriberStatus.INACTIVE:
        end_open_subscriptions(subscriber, timezone.now().date())
