"""Enumerations of IPAM: what a pool is for and where an allocation stands."""

from django.db import models


class PoolPurpose(models.TextChoices):
    PUBLIC_STATIC = "public_static", "Public static"
    CGNAT = "cgnat", "CGNAT"
    PPPOE_DYNAMIC = "pppoe_dynamic", "PPPoE dynamic"
    MANAGEMENT = "management", "Management"


class IpFamily(models.IntegerChoices):
    IPV4 = 4, "IPv4"
    IPV6 = 6, "IPv6"


class AllocationStatus(models.TextChoices):
    ALLOCATED = "allocated", "Allocated"
    # Released but not handed out again until its quarantine ends.
    QUARANTINED = "quarantined", "Quarantined"
    RELEASED = "released", "Released"


# An address is taken while a row of it is in one of these.
LIVE_STATUSES = (AllocationStatus.ALLOCATED, AllocationStatus.QUARANTINED)
