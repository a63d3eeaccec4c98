"""Factories for the Krill CRM records: subscribers, device models, CPEs, POTS lines, profiles."""

from __future__ import annotations

import factory

from devices.choices import DeviceFamily, Tech
from devices.models import Cpe, DeviceModel, ServiceProfile
from subscribers.models import PotsLine, Subscriber


class DeviceModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeviceModel
        django_get_or_create = ("name",)

    name = "HL-4GMV"
    family = DeviceFamily.HALNY
    tech = Tech.GPON
    avatar = "HL-4GMV"
    is_router = True
    tr069 = True
    ports = 4
    pots_ports = 1
    wifi = True


class SubscriberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscriber

    name = factory.Sequence(lambda n: f"Jan{n}")
    surname = "Kowalski"
    address = "ul. Długa 5"
    city = "Kraków"
    country = "Poland"


class ServiceProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceProfile

    name = factory.Sequence(lambda n: f"Internet {n}")
    internet_vlan = 100


class CpeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cpe

    sn = factory.Sequence(lambda n: f"HALN{n:08X}")
    cpename = factory.LazyAttributeSequence(lambda o, n: f"{o.tenant.realm}{n + 5000:04d}")
    internal_id = factory.LazyAttribute(lambda o: o.cpename)
    model = factory.SubFactory(DeviceModelFactory)
    tech = Tech.GPON
    has_tr069 = True
    customer = factory.LazyAttribute(lambda o: SubscriberFactory(tenant=o.tenant))


class PotsLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PotsLine

    cpe = factory.LazyAttribute(lambda o: CpeFactory(tenant=o.tenant))
    order = factory.Sequence(lambda n: n + 1)
    lineid = factory.LazyAttribute(lambda o: f"{o.cpe.cpename}-{o.order}")
