"""Filters of the billing pages (invoices, payments)."""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError
from django.utils import timezone

from portal.inputs import IdFilter
from portal.pages import matching_every_word

from .choices import InvoiceStatus
from .models import Invoice, Payment
from .services import month_bounds

OVERDUE = "overdue"


class InvoicePageFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    # "Overdue" is not a status but what the NOC asks for most: open and past due.
    status = django_filters.ChoiceFilter(
        choices=[*InvoiceStatus.choices, (OVERDUE, "Overdue")], method="filter_status", empty_label="Any status"
    )
    period = django_filters.CharFilter(method="filter_period", label="Month")
    subscriber = IdFilter(field_name="subscriber_id", label="Subscriber")

    class Meta:
        model = Invoice
        fields = ["q", "status", "period", "subscriber"]

    def search(self, queryset, name, value):
        return matching_every_word(queryset, value, ("number", "subscriber__name", "subscriber__surname"))

    def filter_status(self, queryset, name, value):
        if value == OVERDUE:
            return queryset.filter(status=InvoiceStatus.OPEN, due_date__lt=timezone.now().date())
        return queryset.filter(status=value)

    def filter_period(self, queryset, name, value):
        try:
            start, _ = month_bounds(value)
        except ValidationError:
            return queryset.none()
        return queryset.filter(period_start=start)


class PaymentPageFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    subscriber = IdFilter(field_name="subscriber_id", label="Subscriber")

    class Meta:
        model = Payment
        fields = ["q", "subscriber"]

    def search(self, queryset, name, value):
        return matching_every_word(queryset, value, ("reference", "subscriber__name", "subscriber__surname"))
