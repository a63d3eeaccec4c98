"""Krill list filters for CPEs (``?sn=``, ``?customer=``, ``?model=HG8245H`` ...)."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from portal.inputs import IdFilter, MinutesFilter
from subscribers.filters import RealmFilterMixin
from subscribers.models import Subscriber

from .choices import ActionKind, ActionStatus, DeviceFamily, Tech
from .models import Alert, Cpe, DeviceAction


class CpeFilter(RealmFilterMixin):
    # Related records by plain id (not ModelChoiceFilter): a filter never
    # reveals whether an id exists in another tenant.
    customer = IdFilter(field_name="customer_id")
    profile = IdFilter(field_name="profile_id")
    line_profile = IdFilter(field_name="line_profile_id")
    tv_profile = IdFilter(field_name="tv_profile_id")
    voip_profile = IdFilter(field_name="voip_profile_id")
    wifi_profile = IdFilter(field_name="wifi_profile_id")
    address_profile = IdFilter(field_name="address_profile_id")
    model = django_filters.CharFilter(field_name="model__name")
    family = django_filters.ChoiceFilter(field_name="model__family", choices=DeviceFamily.choices)
    mac = django_filters.CharFilter(field_name="mac", lookup_expr="iexact")
    sn = django_filters.CharFilter(field_name="sn")

    class Meta:
        model = Cpe
        fields = [
            "id",
            "cpename",
            "internal_id",
            "external_id",
            "tech",
            "active",
            "access",
            "bridge",
            "probe",
            "has_tr069",
            "disable_provision",
            "disable_reconfig",
            "enable_notifications",
            "external_voip",
            "expiration_date",
            "wanmac",
            "mtamac",
            "dsn",
            "remote_id",
            "me_vlan",
            "lan_cidr",
            "fixed_address",
            "topology",
            "pppoe_username",
            "wifi_ssid",
            "address",
            "city",
            "country",
            "postalcode",
        ]


# --- pages ---------------------------------------------------------------------

LIVE_STATES = (("online", "Online"), ("offline", "Offline"), ("pending", "Not polled yet"))


class DevicePageFilter(django_filters.FilterSet):
    """The device list page: what a NOC operator narrows the fleet by.

    ``q`` matches every word against serial, MAC, CPE name and the
    subscriber's name, so whatever a caller reads out finds the device.
    ``family``/``status``/``alerting`` keep the dashboard tiles' links working.
    """

    q = django_filters.CharFilter(method="search", label="Search")
    family = django_filters.ChoiceFilter(
        field_name="model__family", choices=DeviceFamily.choices, empty_label="Any family", label="Family"
    )
    model = IdFilter(field_name="model_id", label="Model")
    tech = django_filters.ChoiceFilter(choices=Tech.choices, empty_label="Any technology", label="Technology")
    status = django_filters.ChoiceFilter(
        method="filter_status", choices=LIVE_STATES, empty_label="Any status", label="Status"
    )
    alerting = django_filters.BooleanFilter(method="filter_alerting", label="With open alerts")

    class Meta:
        model = Cpe
        fields = ["q", "family", "model", "tech", "status", "alerting"]

    def search(self, queryset, name, value):
        for word in value.split()[:6]:
            # Two subqueries rather than one OR across the subscriber join: each side can use its
            # own index (trigram on serial/name/MAC, migration 0004; the customer index), where a
            # join with an OR filters every CPE of the tenant.
            by_device = (
                Cpe.objects.filter(Q(sn__icontains=word) | Q(cpename__icontains=word) | Q(mac__icontains=word))
                .order_by()
                .values("pk")
            )
            subscribers = Subscriber.objects.filter(Q(surname__icontains=word) | Q(name__icontains=word))
            by_subscriber = Cpe.objects.filter(customer__in=subscribers.values("pk")).order_by().values("pk")
            # A UNION of the two id sets: PostgreSQL joins the (few) matches to the page instead of
            # testing every CPE of the tenant against both sets.
            queryset = queryset.filter(pk__in=by_device.union(by_subscriber))
        return queryset

    def filter_status(self, queryset, name, value):
        if value == "online":
            return queryset.filter(state__online=True)
        if value == "offline":
            return queryset.filter(state__online=False)
        return queryset.filter(Q(state__isnull=True) | Q(state__online__isnull=True))

    def filter_alerting(self, queryset, name, value):
        if value is None:
            return queryset
        open_alerts = Alert.objects.filter(cpe=OuterRef("pk"), closed__isnull=True)
        return queryset.filter(Exists(open_alerts) if value else ~Exists(open_alerts))


class ActionPageFilter(django_filters.FilterSet):
    """The actions page: by status and kind (the dashboard links to running/failed)."""

    status = django_filters.ChoiceFilter(choices=ActionStatus.choices, empty_label="Any status", label="Status")
    kind = django_filters.ChoiceFilter(choices=ActionKind.choices, empty_label="Any action", label="Action")
    cpe = IdFilter(field_name="cpe_id", label="CPE")
    batch = IdFilter(field_name="batch_id", label="Batch")
    since = MinutesFilter(method="filter_since", label="Finished in the last (minutes)")

    class Meta:
        model = DeviceAction
        fields = ["status", "kind", "cpe", "batch", "since"]

    def filter_since(self, queryset, name, value):
        if not value or value <= 0:
            return queryset
        return queryset.filter(finished__gte=timezone.now() - timedelta(minutes=value))
