"""Seed the database of the SQLite concurrency test (tests/portal/test_sqlite_concurrency.py).

Run inside ``manage.py shell -c`` of the stack's own environment (NOC_VAR_DIR → a temp dir), so it
migrates and seeds that temp database, never ``var/`` of the checkout::

    from tests.portal.sqlite_stack import seed; seed(tmp, networks_json, password)

It seeds the small demo, then moves the demo fleet onto the test's own loopback networks (one per
tenant) so the fleet never binds the 127.1/127.2 addresses of a ``make run`` demo on the same
machine, and writes the moved manifest for ``python -m simulators --manifest``.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import os
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

from devices.demo import demo_manifests
from devices.models import Cpe
from portal.models import Tenant
from simulators.manifest import iter_addresses, write_manifest


def seed(directory: str, networks_json: str, password: str) -> None:
    directory_path = Path(directory)
    networks = json.loads(networks_json)
    # seed_demo writes its fleet manifest here instead of var/fleet/ of the checkout.
    settings.DEMO_FLEET_MANIFEST = str(directory_path / "demo-manifest.json")
    with open(os.devnull, "w") as quiet:
        call_command("migrate", "--noinput", verbosity=0)
        call_command("collectstatic", "--noinput", verbosity=0)  # what `make run` does before starting
        call_command("seed_demo", "--small", "--password", password, stdout=quiet)
    devices = []
    for slug, manifest in demo_manifests(small=True).items():
        addresses = iter_addresses(str(ipaddress.ip_network(networks[slug]).network_address + 1))
        moved = [dataclasses.replace(device, address=next(addresses)) for device in manifest]
        by_serial = {device.serial: device for device in moved}
        cpes = list(Cpe.objects.filter(tenant__slug=slug, sn__in=by_serial))
        for cpe in cpes:
            cpe.management_address, cpe.management_port = by_serial[cpe.sn].address, by_serial[cpe.sn].port
        Cpe.objects.bulk_update(cpes, ["management_address", "management_port"])
        Tenant.objects.filter(slug=slug).update(management_networks=[networks[slug]])
        devices.extend(moved)
    write_manifest(directory_path / "fleet.json", devices)
