"""Demo CPEs, profiles and POTS lines for ``manage.py seed_demo``, built from the simulated fleet.

The demo CPEs *are* the simulated fleet's devices: each tenant's CPEs come
from :func:`simulators.manifest.generate_manifest` with a fixed seed
and the tenant's own loopback range (demo: 127.1.0.1 up, acme: 127.2.0.1
up, so they never overlap; seed_demo gives each tenant that /16 as its
management network, see :func:`management_network`). Serial, model, MAC, management address/port
and credentials are copied from the manifest entry, and the combined
manifest is written to :func:`demo_manifest_path` so that::

    python manage.py simulate_fleet --manifest var/fleet/demo-manifest.json

serves exactly the devices the demo database knows about.

Idempotent: CPEs are matched by serial number; only missing ones (and their
POTS lines) are created, in bulk.
"""

from __future__ import annotations

import ipaddress
import random
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from simulators.base import SimDevice
from simulators.manifest import REPO_ROOT, generate_manifest, write_manifest
from subscribers.models import PotsLine, Subscriber

from .choices import ManagementScheme, Tech, WanMode, WifiBands, WifiSecurity
from .models import AddressProfile, Cpe, LineProfile, ServiceProfile, TvProfile, VoipProfile, WifiProfile
from .services import ensure_catalogue, generated_cpename
from .vendors import vendor

# slug → (devices, devices when small, manifest seed, first loopback address)
FLEETS: dict[str, tuple[int, int, int, str]] = {
    "demo": (300, 20, 4242, "127.1.0.1"),
    "acme": (40, 8, 4343, "127.2.0.1"),
}


def management_network(slug: str) -> str:
    """The /16 a demo tenant's fleet lives in: seed_demo gives that tenant exactly this network,
    so no device address is in two tenants' networks (devices.addresses)."""
    return str(ipaddress.ip_network(f"{FLEETS[slug][3]}/16", strict=False))


CLI_FORMAT = {"demo": "+48 12 {n:03d} {m:02d} {k:02d}", "acme": "+34 91 {n:03d} {m:02d} {k:02d}"}


def demo_manifest_path() -> Path:
    """Where seed_demo writes the manifest of the demo fleet (both tenants).

    ``settings.DEMO_FLEET_MANIFEST`` overrides it (tests write elsewhere).
    """
    override = getattr(settings, "DEMO_FLEET_MANIFEST", None)
    return Path(override) if override else REPO_ROOT / "var" / "fleet" / "demo-manifest.json"


def demo_manifests(small: bool = False) -> dict[str, list[SimDevice]]:
    """Tenant slug → its simulated devices (deterministic: the same every run)."""
    manifests = {
        slug: generate_manifest(small_count if small else count, seed=seed, lively=True, base_address=base)
        for slug, (count, small_count, seed, base) in FLEETS.items()
    }
    serials = [d.serial for devices in manifests.values() for d in devices]
    if len(serials) != len(set(serials)):
        raise RuntimeError("demo manifests share a serial number: change a FLEETS seed")
    return manifests


def ensure_profiles(tenant) -> dict[str, Any]:
    """The tenant's demo profiles (created when missing)."""

    def get(model, name, **values):
        return model.objects.get_or_create(tenant=tenant, name=name, defaults=values)[0]

    return {
        "ftth": get(
            ServiceProfile,
            "FTTH 300/100",
            internet_vlan=100,
            cos=0,
            wan_mode=WanMode.PPPOE,
            download_kbps=300_000,
            upload_kbps=100_000,
        ),
        "ftth_1g": get(
            ServiceProfile,
            "FTTH 1G",
            internet_vlan=100,
            wan_mode=WanMode.DHCP,
            download_kbps=1_000_000,
            upload_kbps=300_000,
        ),
        "lte": get(ServiceProfile, "LTE Business", wan_mode=WanMode.DHCP, nat=True),
        "voice": get(ServiceProfile, "Voice only", wan_mode=WanMode.DHCP, nat=False),
        "tv": get(TvProfile, "IPTV basic", iptv_vlan=200, cos=4, bridge_ports=[4]),
        "voip": get(
            VoipProfile,
            "SIP residential",
            sip_server=f"sip.{tenant.slug}.example",
            sip_port=5060,
            vlan=300,
            cos=5,
            codecs=["PCMA", "PCMU", "G722"],
        ),
        "wifi": get(
            WifiProfile,
            "Dual band WPA2",
            ssid_pattern="{cpename}",
            security=WifiSecurity.WPA2,
            bands=WifiBands.DUAL,
        ),
        "line_300": get(LineProfile, "GPON 300M", olt_profile_name="LP-300M", tcont=1, max_kbps=300_000),
        "line_1g": get(LineProfile, "GPON 1G", olt_profile_name="LP-1G", tcont=1, max_kbps=1_000_000),
        "lan": get(
            AddressProfile,
            "LAN 192.168.1.0/24",
            lan_cidr="192.168.1.1/24",
            dhcp_start="192.168.1.100",
            dhcp_end="192.168.1.199",
            dns_servers=["1.1.1.1", "9.9.9.9"],
        ),
    }


def _password(rng: random.Random, length: int = 10) -> str:
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(rng.choice(alphabet) for _ in range(length))


def _cpe(tenant, device: SimDevice, model, customer, profiles, rng: random.Random) -> Cpe:
    family = model.family
    profile = (
        profiles["lte"]
        if model.tech == Tech.LTE
        else profiles["voice"]
        if vendor(family).phone
        else profiles["ftth_1g" if rng.random() < 0.3 else "ftth"]
    )
    gpon = model.tech == Tech.GPON
    return Cpe(
        tenant=tenant,
        sn=device.serial,
        model=model,
        tech=model.tech,
        customer=customer,
        mac=device.mac,
        has_tr069=model.tr069,
        bridge=not model.is_router,
        profile=profile,
        line_profile=(profiles["line_1g"] if profile.download_kbps == 1_000_000 else profiles["line_300"])
        if gpon
        else None,
        tv_profile=profiles["tv"] if gpon and rng.random() < 0.35 else None,
        voip_profile=profiles["voip"] if model.pots_ports else None,
        wifi_profile=profiles["wifi"] if model.wifi else None,
        address_profile=profiles["lan"] if model.is_router else None,
        pppoe_password=_password(rng) if profile.wan_mode == WanMode.PPPOE else "",
        wifi_password=_password(rng, 12) if model.wifi else "",
        address=customer.address if customer else "",
        city=customer.city if customer else "",
        country=customer.country if customer else None,
        postalcode=customer.postalcode if customer else None,
        latitude=customer.latitude if customer else None,
        longitude=customer.longitude if customer else None,
        management_address=device.address,
        management_port=device.port,
        management_scheme=ManagementScheme.HTTP,
        management_username=device.username,
        management_password=device.password,
        active=customer is None or customer.status != "inactive",
        access=customer is None or customer.status == "active",
        notes=f"simulated {device.vendor} {device.model}, firmware {device.firmware}",
    )


def _pots_lines(tenant, cpe: Cpe, rng: random.Random, cli_format: str) -> list[PotsLine]:
    model = cpe.model
    if vendor(model.family).phone:
        lines = 1  # an IP phone: its first SIP account
    elif model.pots_ports and rng.random() < 0.4:
        lines = rng.randint(1, model.pots_ports)
    else:
        return []
    return [
        PotsLine(
            tenant=tenant,
            cpe=cpe,
            order=order,
            lineid=f"{cpe.cpename}-{order}",
            cli=cli_format.format(n=rng.randrange(100, 999), m=rng.randrange(100), k=rng.randrange(100)),
            username=f"{cpe.cpename}-{order}",
            password=_password(rng, 14),
            context="residential",
            contextname="Residential",
            language="pl" if tenant.slug == "demo" else "es",
            voicemail=rng.random() < 0.3,
        )
        for order in range(1, lines + 1)
    ]


def seed(tenants: dict[str, Any], stdout=None, small: bool = False) -> dict[str, int]:
    """Create the missing demo CPEs (from the fleet manifests) and POTS lines; write the manifest."""
    catalogue = ensure_catalogue()
    manifests = demo_manifests(small)
    created: dict[str, int] = {}
    for slug, devices in manifests.items():
        tenant = tenants.get(slug)
        if tenant is None:
            continue
        with transaction.atomic():
            created[slug] = _seed_tenant(tenant, devices, catalogue, slug, stdout)
    path = write_manifest(
        demo_manifest_path(),
        [d for devices in manifests.values() for d in devices],
        purpose="seed_demo",
        tenants={
            slug: {"count": len(devices), "seed": FLEETS[slug][2], "base_address": FLEETS[slug][3]}
            for slug, devices in manifests.items()
        },
    )
    if stdout is not None:
        stdout.write(f"devices: fleet manifest for the demo CPEs: {path}")
    return created


def _seed_tenant(tenant, devices: list[SimDevice], catalogue, slug: str, stdout) -> int:
    profiles = ensure_profiles(tenant)
    rng = random.Random(f"demo-cpes:{slug}")
    existing = set(Cpe.objects.for_tenant(tenant).values_list("sn", flat=True))
    # One CPE per subscriber, in the subscribers' demo order; customers without
    # a device (and devices without a customer: stock) are realistic too.
    subscribers = list(
        Subscriber.objects.for_tenant(tenant).filter(external_id__startswith="DEMO-").order_by("external_id")
    )
    new: list[Cpe] = []
    for i, device in enumerate(devices):
        if device.serial in existing:
            continue
        customer = subscribers[i] if i < len(subscribers) else None
        new.append(_cpe(tenant, device, catalogue[device.model], customer, profiles, rng))
    Cpe.objects.bulk_create(new, batch_size=500)
    if new and new[0].pk is None:  # backends that do not return ids from bulk inserts
        by_sn = dict(Cpe.objects.for_tenant(tenant).filter(sn__in=[c.sn for c in new]).values_list("sn", "pk"))
        for cpe in new:
            cpe.pk = by_sn[cpe.sn]
    for cpe in new:
        cpe.cpename = cpe.internal_id = generated_cpename(tenant.realm, cpe.pk)
        cpe.wifi_ssid = cpe.cpename.upper() if cpe.model.wifi else ""
        cpe.pppoe_username = f"{cpe.cpename}@{tenant.realm}" if cpe.pppoe_password else None
    Cpe.objects.bulk_update(new, ["cpename", "internal_id", "wifi_ssid", "pppoe_username"], batch_size=500)
    lines = [line for cpe in new for line in _pots_lines(tenant, cpe, rng, CLI_FORMAT.get(slug, CLI_FORMAT["demo"]))]
    PotsLine.objects.bulk_create(lines, batch_size=500)
    if stdout is not None:
        stdout.write(
            f"devices: {tenant.slug}: {len(new)} CPEs and {len(lines)} POTS lines created, "
            f"{len(existing)} CPEs already there"
        )
    return len(new)
