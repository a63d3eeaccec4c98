"""Filters of the IPAM list pages."""

from __future__ import annotations

import django_filters

from . import selectors
from .choices import AllocationStatus, PoolPurpose
from .models import Allocation, Pool, Subnet


class PoolPageFilter(django_filters.FilterSet):
    purpose = django_filters.ChoiceFilter(choices=PoolPurpose.choices, empty_label="Any purpose", label="Purpose")

    class Meta:
        model = Pool
        fields = ["purpose"]


class SubnetPageFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="contains", label="Contains address or CIDR")
    pool = django_filters.NumberFilter(field_name="pool_id", label="Pool")

    class Meta:
        model = Subnet
        fields = ["q", "pool"]

    def contains(self, queryset, name, value):
        return selectors.subnets_containing(queryset, value.strip())


class AllocationPageFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.ChoiceFilter(choices=AllocationStatus.choices, empty_label="Any status", label="Status")

    class Meta:
        model = Allocation
        fields = ["q", "status"]

    def search(self, queryset, name, value):
        return selectors.search_allocations(queryset, value)
