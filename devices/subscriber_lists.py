"""What devices adds to the subscriber lists and API: CPE search, CPE count, the Krill CPE joins.

Registered in ``DevicesConfig.ready()`` through :mod:`subscribers.extensions`
(subscribers never imports devices). The joins name the CPE serializer by
its dotted path: the API modules load with the URLconf, not at ready().
"""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from portal.api.krill import Join
from subscribers import extensions

from .models import Cpe

CPE_SERIALIZER = "devices.api.cpes.CpeSerializer"


def has_cpe_matching(word: str) -> Exists:
    """The subscriber search finds a subscriber by a CPE's serial number or name."""
    cpes = Cpe.objects.filter(customer=OuterRef("pk")).filter(Q(sn__icontains=word) | Q(cpename__icontains=word))
    return Exists(cpes)


def with_cpe_count(subscribers: QuerySet) -> QuerySet:
    """``cpe_count`` per subscriber, as a subquery (not a join): same queries for 5 or 50 rows."""
    cpe_count = (
        Cpe.objects.filter(customer=OuterRef("pk")).order_by().values("customer").annotate(n=Count("pk")).values("n")
    )
    return subscribers.annotate(cpe_count=Coalesce(Subquery(cpe_count), 0))


def cpes_prefetch() -> Prefetch:
    return Prefetch("cpes", queryset=Cpe.objects.select_related("model").order_by("id"))


def register() -> None:
    extensions.register_search("cpes", has_cpe_matching)
    extensions.register_annotation("page", "devices", with_cpe_count)
    extensions.CUSTOMER_JOINS.setdefault(
        "cpes", Join(CPE_SERIALIZER, many=True, permission="devices.view", prefetch=cpes_prefetch)
    )
    extensions.POTS_LINE_JOINS.setdefault(
        "cpe", Join(CPE_SERIALIZER, permission="devices.view", select_related=("cpe__model",))
    )
