"""Krill list filters (``?external_id=...``) for customers and POTS lines."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from portal.inputs import IdFilter
from portal.pages import SEARCH_WORDS, contains_any

from . import extensions
from .choices import SubscriberStatus
from .models import PotsLine, Subscriber

# What a subscriber search looks in, on the pages and in the v1 API.
SEARCHED_FIELDS = ("name", "surname", "email", "phone", "external_id", "address")


def mentions(word: str) -> Q:
    """Subscribers whose name, contact details, address or external id contain ``word``."""
    return contains_any(word, SEARCHED_FIELDS)


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
    caller reads out (the CPE part comes from devices through
    :mod:`subscribers.extensions`). ``status`` keeps the dashboard tiles' links working.
    """

    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.ChoiceFilter(choices=SubscriberStatus.choices, empty_label="Any status", label="Status")
    plan = django_filters.CharFilter(method="filter_plan", label="Plan")

    class Meta:
        model = Subscriber
        fields = ["q", "status", "plan"]

    def search(self, queryset, name, value):
        for word in value.split()[:SEARCH_WORDS]:
            match = mentions(word) | Q(city__icontains=word)
            for other in extensions.search_matches(word):  # e.g. devices: a CPE's serial or name
                match |= other
            queryset = queryset.filter(match)
        return queryset

    def filter_plan(self, queryset, name, value):
        # billing provides the plan filter (subscribers never imports billing).
        return extensions.filter_by("plan", queryset, value)
