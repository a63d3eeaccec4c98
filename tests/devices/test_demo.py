"""seed_demo's subscribers, CPEs and POTS lines: idempotent, and the CPEs are the simulated fleet."""

from __future__ import annotations

import io
import ipaddress

import pytest
from django.core.management import call_command

from devices.demo import demo_manifest_path, demo_manifests
from devices.models import Cpe
from portal.dashboard import dashboard_tiles
from portal.models import Tenant
from simulators.manifest import load_manifest
from subscribers.models import PotsLine, Subscriber

pytestmark = pytest.mark.django_db


@pytest.fixture
def manifest_path(settings, tmp_path):
    settings.DEMO_FLEET_MANIFEST = str(tmp_path / "demo-manifest.json")
    return tmp_path / "demo-manifest.json"


def test_seed_demo_builds_cpes_from_the_fleet_manifest(manifest_path):
    call_command("seed_demo", "--small", "--password", "x", stdout=io.StringIO())
    counts = (Subscriber.objects.count(), Cpe.objects.count(), PotsLine.objects.count())
    call_command("seed_demo", "--small", "--password", "x", stdout=io.StringIO())
    assert (Subscriber.objects.count(), Cpe.objects.count(), PotsLine.objects.count()) == counts  # idempotent

    assert demo_manifest_path() == manifest_path
    served = {d.serial: d for d in load_manifest(manifest_path)}
    expected = demo_manifests(small=True)
    for slug, devices in expected.items():
        tenant = Tenant.objects.get(slug=slug)
        cpes = {c.sn: c for c in Cpe.objects.for_tenant(tenant).select_related("model")}
        assert set(cpes) == {d.serial for d in devices}
        for device in devices:
            cpe = cpes[device.serial]
            assert served[device.serial].address == device.address
            assert (cpe.model.name, cpe.mac) == (device.model, device.mac)
            assert (cpe.management_address, cpe.management_port) == (device.address, device.port)
            assert (cpe.management_username, cpe.management_password) == (device.username, device.password)
            assert cpe.cpename == f"{tenant.realm}{cpe.pk:04d}"
        assert {c.model.family for c in cpes.values()} == {"halny", "peplink", "fanvil"}
    demo_net = {ipaddress.ip_address(d.address) for d in expected["demo"]}
    acme_net = {ipaddress.ip_address(d.address) for d in expected["acme"]}
    assert not demo_net & acme_net
    assert PotsLine.objects.filter(cpe__model__family="fanvil").exists()
    assert all(line.lineid == f"{line.cpe.cpename}-{line.order}" for line in PotsLine.objects.select_related("cpe"))

    tiles = {t.key: t for t in dashboard_tiles(Tenant.objects.get(slug="demo"), "admin")}
    assert tiles["subscribers_active"].url == "/subscribers/?status=active"
    assert tiles["devices_halny"].value + tiles["devices_peplink"].value + tiles["devices_fanvil"].value == 20
    assert "devices_halny" not in {t.key for t in dashboard_tiles(Tenant.objects.get(slug="demo"), "billing")}
