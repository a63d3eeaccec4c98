"""Krill list filters (``?external_id=...``) for customers and POTS lines."""

from __future__ import annotations

import django_filters

from .models import PotsLine, Subscriber


class RealmFilterMixin(django_filters.FilterSet):
    realm = django_filters.CharFilter(method="filter_realm", label="realm")

    def filter_realm(self, queryset, name, value):
        tenant = getattr(self.request, "tenant", None)
        return queryset if tenant is None or value == tenant.realm else queryset.none()


class CustomerFilter(RealmFilterMixin):
    id = django_filters.NumberFilter(field_name="id")
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
    cpe = django_filters.NumberFilter(field_name="cpe_id")
    customer = django_filters.NumberFilter(field_name="cpe__customer_id")

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
