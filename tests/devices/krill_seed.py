"""The records behind the examples of the Krill seed (krill-rest-api-v2.txt), and its expected answers.

``build(tenant)`` creates, in a tenant whose realm is "pim", exactly what the
seed's example answers show: CPE 350 (sn 0000deadbeef0000, customer 27,
profile 7, model HG8245H), CPE 74 of customer 65 with POTS lines 138/139, and
158 CPEs in all, numbered so that ``?attrs=id&offset=42&limit=3`` answers ids
119, 121, 123 like the seed. Expected bodies are transcribed from the seed
(the seed shows "nº" mis-encoded as Greek letters; we store "nº 21 3ºB").
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django.core.management.color import no_style
from django.db import connection

from devices.choices import DeviceFamily, Tech
from devices.models import Cpe, DeviceModel, ServiceProfile
from subscribers.models import PotsLine, Subscriber

MADRID = ZoneInfo("Europe/Madrid")
SEED_TIME_ZONE = "Europe/Madrid"  # the seed's timestamps carry +01:00
CPE_350_TIME = datetime.datetime(2022, 12, 17, 23, 0, 1, tzinfo=MADRID)
CUSTOMER_65_TIME = datetime.datetime(2019, 11, 8, 15, 57, 8, tzinfo=MADRID)

# Odd ids 37..347 plus 74 and 350: 158 CPEs, and positions 42..44 are 119, 121, 123.
PAGINATION_IDS = [74, 350, *range(37, 348, 2)]


def links(pk: int) -> dict:
    base = f"/api/v2/cpes/{pk}/"
    return {
        "actions": {
            "diagnostic": base + "cwmp_diagnostic",
            "factory": base + "factory",
            "reboot": base + "reboot",
            "reconfig": base + "reconfig",
            "reprovision": base + "reprovision",
            "unprovision": base + "unprovision",
        },
        "links": {
            "cdrs": base + "events?type=cdr",
            "customer": base + "customer",
            "cwmp_info": base + "cwmp_info",
            "events": base + "events",
            "info": base + "info",
            "links": base + "links",
            "livestatus": base + "livestatus",
            "logs": base + "logs",
            "model": base + "model",
            "potses": base + "potses",
            "profile": base + "profile",
        },
    }


SEED_CPE_350 = {
    "_links": links(350),
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

SEED_LIST_BY_SN = {"count": 1, "next": None, "previous": None, "results": [SEED_CPE_350]}

SEED_ATTRS = {"cpename": "pim0074", "id": 74}


def _pots(pk: int, order: int) -> dict:
    return {
        "cli": None,
        "context": None,
        "contextname": None,
        "custom_digitmap": None,
        "dtmf": "auto",
        "id": pk,
        "label": None,
        "language": None,
        "lineid": f"pim0074-{order}",
        "order": order,
        "password": None,
        "pbx_extension": False,
        "username": None,
        "voicemail": False,
        "voicemail_password": None,
    }


SEED_JOINS = {
    "customer": {
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
    },
    "id": 74,
    "potses": [_pots(138, 1), _pots(139, 2)],
}

SEED_PAGE = {
    "count": 158,
    "next": "http://pre1:4280/api/v2/isp/cpes/?attrs=id&limit=3&offset=45",
    "previous": "http://pre1:4280/api/v2/isp/cpes/?attrs=id&limit=3&offset=39",
    "results": [{"id": 119}, {"id": 121}, {"id": 123}],
}


def build(tenant) -> dict:
    """Create the seed's records in ``tenant`` (its realm becomes "pim")."""
    tenant.realm = "pim"
    tenant.save(update_fields=["realm"])
    hg, _ = DeviceModel.objects.get_or_create(
        name="HG8245H",
        defaults={
            "family": DeviceFamily.HALNY,
            "tech": Tech.GPON,
            "avatar": "HG4201",
            "is_router": True,
            "tr069": True,
            "ports": 4,
            "pots_ports": 2,
            "wifi": True,
        },
    )
    profile = ServiceProfile.objects.create(pk=7, tenant=tenant, name="FTTH 300M", internet_vlan=100)
    customer_27 = Subscriber.objects.create(pk=27, tenant=tenant, name="Ana", surname="García", country="Spain")
    customer_65 = Subscriber.objects.create(
        pk=65,
        tenant=tenant,
        name="Incredulo",
        surname="Trotamundos",
        address="Calle Bolivia nº 21 3ºB",
        city="Coslada, Madrid",
        country="Spain",
    )
    Subscriber.objects.filter(pk=65).update(created=CUSTOMER_65_TIME, updated=CUSTOMER_65_TIME)
    cpes = []
    for pk in PAGINATION_IDS:
        cpes.append(
            Cpe(
                pk=pk,
                tenant=tenant,
                sn="0000deadbeef0000" if pk == 350 else f"HWTC{pk:08X}",
                cpename=f"pim{pk:04d}",
                internal_id=f"pim{pk:04d}",
                model=hg,
                tech=Tech.GPON,
                has_tr069=True,
                customer=customer_27 if pk == 350 else customer_65 if pk == 74 else None,
                profile=profile if pk == 350 else None,
            )
        )
    Cpe.objects.bulk_create(cpes)
    Cpe.objects.filter(pk=350).update(created=CPE_350_TIME, updated=CPE_350_TIME)
    cpe_74 = Cpe.objects.get(pk=74)
    PotsLine.objects.create(pk=138, tenant=tenant, cpe=cpe_74, order=1, lineid="pim0074-1")
    PotsLine.objects.create(pk=139, tenant=tenant, cpe=cpe_74, order=2, lineid="pim0074-2")
    # Explicit ids do not move PostgreSQL's sequences: later inserts must not collide with them.
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Cpe, Subscriber, PotsLine, ServiceProfile]):
            cursor.execute(sql)
    return {"cpe_350": Cpe.objects.get(pk=350), "cpe_74": cpe_74, "customer_65": customer_65, "profile": profile}
