"""Business operations on CPEs, profiles and the device catalogue (the only place that writes them)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from portal.models import Tenant

from .addresses import check_address_free
from .catalogue import CATALOGUE
from .models import Cpe, DeviceModel


def generated_cpename(realm: str, pk: int) -> str:
    """Krill's CPE name when none is given: realm + 4-digit id (``pim0350``)."""
    return f"{realm}{pk:04d}"


def ensure_catalogue() -> dict[str, DeviceModel]:
    """Create the catalogue's device models that are missing; name → DeviceModel."""
    existing = {m.name: m for m in DeviceModel.objects.filter(name__in=CATALOGUE)}
    missing = [
        DeviceModel(
            name=name,
            family=family,
            tech=tech,
            avatar=avatar,
            is_router=is_router,
            tr069=tr069,
            ports=ports,
            pots_ports=pots,
            wifi=wifi,
        )
        for name, (family, tech, avatar, is_router, tr069, ports, pots, wifi) in CATALOGUE.items()
        if name not in existing
    ]
    for model in DeviceModel.objects.bulk_create(missing):
        existing[model.name] = model
    if missing:
        existing = {m.name: m for m in DeviceModel.objects.filter(name__in=CATALOGUE)}
    return existing


@transaction.atomic
def create_cpe(*, tenant: Tenant, data: dict[str, Any]) -> Cpe:
    data = dict(data)
    model: DeviceModel = data["model"]
    if not data.get("tech"):
        data["tech"] = model.tech
    data.setdefault("has_tr069", model.tr069)
    cpe = Cpe(tenant=tenant, **data)
    # A device belongs to exactly one tenant (AddressInUse: the API answers 409).
    check_address_free(tenant.pk, cpe.management_address, cpe.management_port, model.family)
    cpe.save()
    # Krill names a CPE after its id, known only once the row exists.
    if not cpe.cpename or not cpe.internal_id:
        name = generated_cpename(tenant.realm, cpe.pk)
        cpe.cpename = cpe.cpename or name
        cpe.internal_id = cpe.internal_id or cpe.cpename
        cpe.save(update_fields=["cpename", "internal_id", "updated"])
    return cpe


@transaction.atomic
def update_cpe(cpe: Cpe, data: dict[str, Any]) -> Cpe:
    if "tech" in data and data["tech"] != cpe.tech:
        cpe.tech_updated = timezone.now()
    before = (cpe.management_address, cpe.management_port, cpe.model.family)
    for name, value in data.items():
        setattr(cpe, name, value)
    if (cpe.management_address, cpe.management_port, cpe.model.family) != before:
        # Only a moved endpoint is checked: the owner of a clash written before the
        # rule can still edit its CPE (connecting stays refused until it is resolved).
        check_address_free(
            cpe.tenant_id, cpe.management_address, cpe.management_port, cpe.model.family, exclude_pk=cpe.pk
        )
    if not cpe.tech:
        cpe.tech = cpe.model.tech
    if not cpe.cpename:
        cpe.cpename = generated_cpename(cpe.tenant.realm, cpe.pk)
    if not cpe.internal_id:
        cpe.internal_id = cpe.cpename
    cpe.save()
    return cpe
