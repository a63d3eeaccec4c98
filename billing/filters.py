"""Filters of the billing pages (invoices, payments)."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone

from portal.inputs import IdFilter

from .choices import InvoiceStatus
from .models import Invoice, Payment

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
        for word in value.split()[:6]:
            queryset = queryset.filter(
                Q(number__icontains=word) | Q(subscriber__name__icontains=word) | Q(subscriber__surname__icontains=word)
            )
        return queryset

    def filter_status(self, queryset, name, value):
        if value == OVERDUE:
            return queryset.filter(status=InvoiceStatus.OPEN, due_date__lt=timezone.now().date())
        return queryset.filter(status=value)

    def filter_period(self, queryset, name, value):
        from django.core.exceptions import ValidationError

        from .services import month_bounds

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
        for word in value.split()[:6]:
            queryset = queryset.filter(
                Q(reference__icontains=word)
                | Q(subscriber__name__icontains=word)
                | Q(subscriber__surname__icontains=word)
            )
        return queryset
