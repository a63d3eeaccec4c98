"""Krill list filters (``?external_id=...``) for customers and POTS lines."""

from __future__ import annotations

import django_filters

from portal.inputs import IdFilter

from .choices import SubscriberStatus
from .models import PotsLine, Subscriber


class RealmFilterMixin(django_filters.FilterSet):
    realm = django_filters.CharFilter(method="filter_realm", label="realm")

    def filter_realm(self, queryset, name, value):
        tenant = getattr(self.request, "tenant", None)
        return queryset if tenant is None or value == tenant.realm else queryset.none()


class CustomerFilter(RealmFilterMixin):
    id = IdFilter(field_name="id")
    name = django_filters.CharFilter()
    name__icontains = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    surname = django_filters.CharFilter()
    surname__icontains = django_filters.CharFilter(field_name="surname", lookup_expr="icontains")

    class Meta:
        model = Subscriber
        fields = ["external_id", "address", "city", "country", "postalcode", "email", "phone", "status"]


class PotsLineFilter(RealmFilterMixin):
    # Plain ids (not ModelChoiceFilter): filtering never reveals whether an id
    # exists in another tenant.
    cpe = IdFilter(field_name="cpe_id")
    customer = IdFilter(field_name="cpe__customer_id")

    class Meta:
        model = PotsLine
        fields = [
            "lineid",
            "order",
            "label",
            "cli",
            "username",
            "context",
            "contextname",
            "dtmf",
            "language",
            "pbx_extension",
            "voicemail",
        ]


# --- pages ---------------------------------------------------------------------


class SubscriberPageFilter(django_filters.FilterSet):
    """The subscriber list page: search as you type, status and current plan.

    ``q`` matches every word against name, surname, contact, address and the
    subscriber's CPEs (serial or name), so an agent can paste whatever the
    caller reads out. ``status`` keeps the dashboard tiles' links working.
    """

    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.ChoiceFilter(choices=SubscriberStatus.choices, empty_label="Any status", label="Status")
    plan = django_filters.CharFilter(method="filter_plan", label="Plan")

    class Meta:
        model = Subscriber
        fields = ["q", "status", "plan"]

    def search(self, queryset, name, value):
        from django.db.models import Exists, OuterRef, Q

        from devices.models import Cpe

        for word in value.split()[:6]:
            cpes = Cpe.objects.filter(customer=OuterRef("pk")).filter(
                Q(sn__icontains=word) | Q(cpename__icontains=word)
            )
            queryset = queryset.filter(
                Q(name__icontains=word)
                | Q(surname__icontains=word)
                | Q(email__icontains=word)
                | Q(phone__icontains=word)
                | Q(external_id__icontains=word)
                | Q(address__icontains=word)
                | Q(city__icontains=word)
                | Exists(cpes)
            )
        return queryset

    def filter_plan(self, queryset, name, value):
        from django.utils import timezone

        from billing.selectors import subscribers_on_plan

        return subscribers_on_plan(queryset, value, timezone.now().date())
