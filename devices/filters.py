"""Krill list filters for CPEs (``?sn=``, ``?customer=``, ``?model=HG8245H`` ...)."""

from __future__ import annotations

import django_filters

from subscribers.filters import RealmFilterMixin

from .choices import DeviceFamily
from .models import Cpe


class CpeFilter(RealmFilterMixin):
    # Related records by plain id (not ModelChoiceFilter): a filter never
    # reveals whether an id exists in another tenant.
    customer = django_filters.NumberFilter(field_name="customer_id")
    profile = django_filters.NumberFilter(field_name="profile_id")
    line_profile = django_filters.NumberFilter(field_name="line_profile_id")
    tv_profile = django_filters.NumberFilter(field_name="tv_profile_id")
    voip_profile = django_filters.NumberFilter(field_name="voip_profile_id")
    wifi_profile = django_filters.NumberFilter(field_name="wifi_profile_id")
    address_profile = django_filters.NumberFilter(field_name="address_profile_id")
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
