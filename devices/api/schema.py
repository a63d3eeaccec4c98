"""OpenAPI documentation of the devices app's Krill v2 resources: examples and per-action schemas.

Kept apart from the views so ``devices/api/cpes.py`` reads as the resource
itself. The CPE's ``_links`` come from ``devices.api.cpes`` (which owns the
link table), so the CPE documentation is built from the links it is given.
"""

from __future__ import annotations

from collections.abc import Callable

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, inline_serializer
from rest_framework import serializers

from portal.api.krill import krill_schema_view

CPE_RECORD_EXAMPLE = {
    "_services": ["provision", "txrx", "dhcp", "tr069"],
    "access": True,
    "active": True,
    "address": "",
    "address_profile": None,
    "avatar": "HG4201",
    "bridge": False,
    "city": "",
    "country": None,
    "cpename": "pim0350",
    "created": "2022-12-17T23:00:01+01:00",
    "customer": 27,
    "disable_provision": False,
    "disable_reconfig": False,
    "dsn": None,
    "enable_notifications": False,
    "expiration_date": None,
    "external_id": None,
    "external_voip": False,
    "fixed_address": None,
    "has_tr069": True,
    "id": 350,
    "internal_id": "pim0350",
    "is_router": True,
    "lan_cidr": None,
    "latitude": None,
    "line_profile": None,
    "longitude": None,
    "mac": None,
    "me_vlan": None,
    "model": "HG8245H",
    "mtamac": None,
    "notes": "",
    "postalcode": None,
    "pppoe_password": "",
    "pppoe_username": None,
    "probe": False,
    "profile": 7,
    "realm": "pim",
    "remote_id": None,
    "sn": "0000deadbeef0000",
    "tech": "gpon",
    "tech_updated": None,
    "topology": "",
    "tr069": True,
    "tv_profile": None,
    "updated": "2022-12-17T23:00:01+01:00",
    "voip_profile": None,
    "wanmac": None,
    "wifi_password": "",
    "wifi_profile": None,
    "wifi_ssid": "",
}

NOT_IMPLEMENTED = OpenApiResponse(
    inline_serializer("NotImplemented", {"detail": serializers.CharField(), "code": serializers.CharField()}),
    description="Not available yet (arrives with device actions / live polling).",
    examples=[
        OpenApiExample(
            "Not yet",
            value={
                "detail": "reboot is not available yet: it arrives with device actions and live polling.",
                "code": "not_implemented",
            },
        )
    ],
)


def cpe_schema_view(example_links: dict) -> Callable[[type], type]:
    """The ``/api/v2/isp/cpes/`` list/retrieve/create documentation; ``example_links``: the example CPE's ``_links``."""
    return krill_schema_view(
        record={"_links": example_links, **CPE_RECORD_EXAMPLE},
        record_title="CPE",
        page_title="Lookup by serial (?sn=0000deadbeef0000)",
        create=OpenApiExample(
            "New ONT for customer 27",
            value={"sn": "HALN1A2B3C4D", "model": "HL-4GMV", "customer": 27, "profile": 7},
            request_only=True,
        ),
        more_list=(
            OpenApiExample(
                "Page of ids (?attrs=id&offset=42&limit=3)",
                value={
                    "count": 158,
                    "next": "http://pre1:4280/api/v2/isp/cpes/?attrs=id&limit=3&offset=45",
                    "previous": "http://pre1:4280/api/v2/isp/cpes/?attrs=id&limit=3&offset=39",
                    "results": [{"id": 119}, {"id": 121}, {"id": 123}],
                },
                response_only=True,
            ),
        ),
        more_retrieve=(OpenApiExample("attrs=id,cpename", value={"cpename": "pim0074", "id": 74}, response_only=True),),
    )


# --- monitoring (/api/v2/monitoring/cpes/{id}/info) ---------------------------

_INFO_RECORD = {
    "alarms": [
        {
            "id": 12,
            "kind": "rx_low",
            "severity": "critical",
            "opened": "2026-11-21T20:05:00+00:00",
            "message": "Optical Rx -28.4 dBm below -27.0 dBm",
            "value": -28.41,
            "threshold": -27.0,
        }
    ],
    "dnbw": 300000,
    "id": 350,
    "ips": ["203.0.113.17"],
    "last_check": "2026-11-21T20:06:00+00:00",
    "last_seen": "2026-11-21T20:06:00+00:00",
    "last_state_change": "2026-11-21T19:50:00+00:00",
    "output": "UP - uptime 3d 2h, WAN 1/1 up, Rx -28.41 dBm, 5 clients",
    "registration": {
        "host": "pim0350",
        "id": 350,
        "states": {"host": 0, "txrx": 2, "wan": 0, "clients": 0},
        "tags": ["halny", "gpon", "HL-4GMV"],
    },
    "services": {
        "txrx": {
            "output": "Rx -28.41 dBm, Tx 2.10 dBm",
            "state_id": 2,
            "perfdatas": [
                {
                    "metric": "rx",
                    "value": -28.41,
                    "uom": "dBm",
                    "min": -40.0,
                    "max": 10.0,
                    "thresholds": [
                        {"kind": "rx_low", "when": "below", "open": -27.0, "clear": -26.0, "severity": "critical"},
                        {"kind": "rx_high", "when": "above", "open": -7.0, "clear": -8.0, "severity": "warning"},
                    ],
                },
                {"metric": "tx", "value": 2.1, "uom": "dBm", "min": -10.0, "max": 10.0, "thresholds": []},
            ],
        },
    },
    "state": "up",
    "state_id": 0,
    "state_type": "hard",
    "tech": "gpon",
    "upbw": 100000,
    "uptime": 266400,
}

INFO_EXAMPLE = OpenApiExample("ONT with weak optical signal", value=_INFO_RECORD, response_only=True)
