"""OpenAPI examples of the subscribers app's API: Krill v2 customers and POTS lines, ISPChamp v1 subscribers.

Kept apart from the views so ``api/v1.py`` and ``api/v2.py`` read as the resources themselves.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

from portal.api.krill import krill_schema_view

# --- Krill v2 (the seed's records) ---------------------------------------------------

CUSTOMER_EXAMPLE = {
    "address": "Calle Bolivia nº 21 3ºB",
    "city": "Coslada, Madrid",
    "comment": "",
    "country": "Spain",
    "created": "2019-11-08T15:57:08+01:00",
    "external_id": None,
    "id": 65,
    "latitude": None,
    "longitude": None,
    "name": "Incredulo",
    "postalcode": None,
    "realm": "pim",
    "surname": "Trotamundos",
    "updated": "2019-11-08T15:57:08+01:00",
}
POTS_EXAMPLE = {
    "cli": None,
    "context": None,
    "contextname": None,
    "cpe": 74,
    "custom_digitmap": None,
    "dtmf": "auto",
    "id": 138,
    "label": None,
    "language": None,
    "lineid": "pim0074-1",
    "order": 1,
    "password": None,
    "pbx_extension": False,
    "username": None,
    "voicemail": False,
    "voicemail_password": None,
}


customer_schema_view = krill_schema_view(
    record=CUSTOMER_EXAMPLE,
    record_title="Customer",
    page_title="Customers page",
    create=OpenApiExample(
        "New customer",
        value={"name": "Incredulo", "surname": "Trotamundos", "city": "Coslada, Madrid", "country": "Spain"},
        request_only=True,
    ),
)
pots_line_schema_view = krill_schema_view(
    record=POTS_EXAMPLE,
    record_title="POTS line",
    page_title="POTS lines page",
    create=OpenApiExample("Second line of a CPE", value={"cpe": 74, "order": 2}, request_only=True),
)

# --- ISPChamp v1 (examples are written as the data; V1AutoSchema adds the envelope) ----

_SUBSCRIBER_RECORD = {
    "id": 42,
    "name": "Anna",
    "surname": "Nowak",
    "email": "anna@example.net",
    "phone": "+48 600 100 200",
    "address": "Polna 1",
    "city": "Krakow",
    "postalcode": "30-001",
    "country": "PL",
    "external_id": "CRM-1042",
    "comment": "",
    "status": "active",
    "plan": "fibre-300",
    "balance": "-36.00",
    "created": "2026-11-02T10:00:00Z",
    "updated": "2026-11-02T10:00:00Z",
}

SUBSCRIBER_PAGE_EXAMPLE = OpenApiExample("A page of subscribers", value=_SUBSCRIBER_RECORD, response_only=True)
SUBSCRIBER_EXAMPLE = OpenApiExample("A subscriber", value=_SUBSCRIBER_RECORD, response_only=True)
