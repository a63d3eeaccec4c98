"""Issue 17, items 1 and 2, written as the attacks: a device address belongs to exactly one tenant,
and the portal never contacts its own services.

- Write: a tenant's token cannot point a CPE at another tenant's device (409) nor at the portal's
  own host:ports (400), over real HTTP.
- Connect: rows that got into the database before these rules (inserted directly here) are refused
  by the action engine and the poller before any socket is opened, against real simulators.
- Tenants: overlapping management networks are refused in the admin unless a tenant is its own
  routing domain; the demo tenants get one /16 each.
"""

from __future__ import annotations

import io
import json
import socket
from collections.abc import Iterator

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from devices import actions, polling
from devices.actions import request as action_request
from devices.addresses import ManagementAddressShared, own_service_problem, shared_endpoints
from devices.choices import ActionStatus
from devices.connect import endpoint_for
from devices.demo import FLEETS, management_network
from devices.models import Cpe, DeviceAction, DeviceSample, DeviceState
from devices.services import ensure_catalogue
from portal.management.commands.seed_demo import DEMO_NETWORKS
from portal.models import Tenant
from portal.tokens import create_integration_client
from tests.conftest import bearer_client
from tests.devices.conftest import process_octet
from tests.devices.polling_fleet import FAST, cpes_for
from tests.factories import TenantFactory, UserFactory

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------------
# The demo: seed_demo --small, and an acme integration token
# ---------------------------------------------------------------------------


@pytest.fixture
def demo(settings, tmp_path) -> dict[str, Tenant]:
    settings.DEMO_FLEET_MANIFEST = str(tmp_path / "demo-manifest.json")
    call_command("seed_demo", "--small", "--password", "x", stdout=io.StringIO())
    return {tenant.slug: tenant for tenant in Tenant.objects.filter(slug__in=FLEETS)}


def crm_of(tenant: Tenant, name: str = "CRM"):
    """A read-write integration token of ``tenant`` (what the probe used)."""
    return bearer_client(create_integration_client(tenant, name).token.access)


def demo_ont(demo) -> Cpe:
    return Cpe.objects.for_tenant(demo["demo"]).filter(model__family="halny").select_related("model").first()


def test_demo_tenants_get_one_disjoint_16_each(demo):
    for slug, tenant in demo.items():
        assert tenant.management_networks == DEMO_NETWORKS[slug] == [management_network(slug)]
        tenant.full_clean()  # no overlap with the other demo tenant
        for cpe in Cpe.objects.for_tenant(tenant).select_related("tenant", "model"):
            endpoint_for(cpe, shared=frozenset())  # every demo device is inside its own tenant's /16
    assert management_network("demo") == "127.1.0.0/16" and management_network("acme") == "127.2.0.0/16"


def test_a_demo_database_from_before_moves_to_the_disjoint_ranges(demo):
    Tenant.objects.filter(slug__in=FLEETS).update(management_networks=["127.0.0.0/8"])  # what seed_demo wrote
    call_command("seed_demo", "--small", "--password", "x", stdout=io.StringIO())
    assert {t.slug: t.management_networks for t in Tenant.objects.filter(slug__in=FLEETS)} == DEMO_NETWORKS


def test_seed_demo_refuses_to_share_its_ranges_with_another_tenant(settings, tmp_path):
    settings.DEMO_FLEET_MANIFEST = str(tmp_path / "demo-manifest.json")
    TenantFactory(slug="other", management_networks=["127.1.200.0/24"])
    with pytest.raises(CommandError, match=r"overlaps 127\.1\.200\.0/24 of tenant"):
        call_command("seed_demo", "--small", "--password", "x", stdout=io.StringIO())
    assert not Tenant.objects.filter(slug__in=FLEETS).exists()


def test_acme_token_cannot_create_a_cpe_at_a_demo_onts_address(demo):
    """The issue's attack: acme writes a CPE with a demo ONT's address:port and MAC → 409, nothing written."""
    ont = demo_ont(demo)
    acme = crm_of(demo["acme"])
    payload = {
        "sn": "ACME0EVIL001",
        "model": ont.model.name,
        "mac": ont.mac,
        "management_address": ont.management_address,
        "management_port": ont.management_port,
    }
    response = acme.post("/api/v2/isp/cpes/", payload, format="json")
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "conflict"
    assert body["detail"] == (
        f"Management address {ont.management_address}:{ont.management_port} is already used by a CPE of "
        "another tenant; a device belongs to exactly one tenant."
    )
    # The refusal names neither the other tenant nor its CPE.
    assert ont.sn not in body["detail"] and "demo" not in body["detail"].lower()
    # Leaving the port out means the vendor's default port: the same device, the same answer.
    assert ont.management_port == 48626
    del payload["management_port"]
    assert acme.post("/api/v2/isp/cpes/", payload, format="json").status_code == 409
    assert not Cpe.objects.filter(sn="ACME0EVIL001").exists()


def test_acme_token_cannot_move_its_cpe_onto_a_demo_ont(demo):
    ont = demo_ont(demo)
    acme = crm_of(demo["acme"])
    own = Cpe.objects.for_tenant(demo["acme"]).filter(model__family="halny").first()
    before = (own.management_address, own.management_port)
    moved = {"management_address": ont.management_address, "management_port": ont.management_port}
    response = acme.patch(f"/api/v2/isp/cpes/{own.pk}/", moved, format="json")
    assert response.status_code == 409 and response.json()["code"] == "conflict", response.content
    own.refresh_from_db()
    assert (own.management_address, own.management_port) == before
    # Editing anything else, or moving within its own range, is still fine.
    assert acme.patch(f"/api/v2/isp/cpes/{own.pk}/", {"notes": "rack 4"}, format="json").status_code == 200
    elsewhere = {"management_address": "127.2.250.1", "management_port": 48626}
    assert acme.patch(f"/api/v2/isp/cpes/{own.pk}/", elsewhere, format="json").status_code == 200


# ---------------------------------------------------------------------------
# Overlapping management networks and routing domains (the admin form)
# ---------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, demo):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def add_tenant(admin_client, slug: str, networks: list[str], routing_domain: str = ""):
    return admin_client.post(
        "/admin/portal/tenant/add/",
        {
            "name": slug.title(),
            "slug": slug,
            "realm": slug,
            "management_networks": json.dumps(networks),
            "routing_domain": routing_domain,
            "dunning_grace_days": "14",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
        },
    )


def test_admin_refuses_a_tenant_whose_networks_overlap_another_tenants(admin_client):
    response = add_tenant(admin_client, "red", ["10.0.0.0/8", "127.1.7.0/24"])
    assert response.status_code == 200  # the form again, with the error
    assert "127.1.7.0/24 overlaps 127.1.0.0/16 of tenant Demo Fibre &amp; Wireless" in response.content.decode()
    assert not Tenant.objects.filter(slug="red").exists()
    assert add_tenant(admin_client, "red", ["not-a-cidr"]).status_code == 200
    assert not Tenant.objects.filter(slug="red").exists()
    assert add_tenant(admin_client, "red", ["10.0.0.0/8"]).status_code == 302  # disjoint: fine


def test_a_routing_domain_of_its_own_may_overlap_but_never_take_a_device(admin_client, demo):
    assert add_tenant(admin_client, "red", ["127.1.0.0/16"], routing_domain="vrf-red").status_code == 302
    red = Tenant.objects.get(slug="red")
    # A second tenant in the same routing domain is held to the same rule.
    assert add_tenant(admin_client, "blue", ["127.1.4.0/22"], routing_domain="vrf-red").status_code == 200
    assert not Tenant.objects.filter(slug="blue").exists()
    # Even in its own routing domain, red cannot write a CPE at the demo ONT's address:port ...
    ont = demo_ont(demo)
    payload = {"sn": "RED000000001", "model": ont.model.name, "management_address": ont.management_address}
    assert crm_of(red).post("/api/v2/isp/cpes/", payload, format="json").status_code == 409
    # ... while its own address space is its own.
    payload["management_address"] = "127.1.250.9"
    assert crm_of(red, "CRM 2").post("/api/v2/isp/cpes/", payload, format="json").status_code == 201


def test_the_same_non_blank_routing_domain_is_one_table():
    TenantFactory(slug="one", management_networks=["10.1.0.0/16"], routing_domain="vrf-7")
    two = TenantFactory.build(slug="two", management_networks=["10.1.2.0/24"], routing_domain="vrf-7")
    with pytest.raises(ValidationError, match=r"overlaps 10\.1\.0\.0/16"):
        two.clean()
    two.routing_domain = "vrf-8"
    two.clean()


# ---------------------------------------------------------------------------
# Connect time: rows from before the rules, against real simulators
# ---------------------------------------------------------------------------


def halny_of(fleet):
    return next(d for d in fleet.devices if d.vendor == "halny")


def foreign_row(tenant, device, **fields) -> Cpe:
    """A CPE row written straight into the database, as before the write rules (MAC copied, password derived)."""
    model = ensure_catalogue()[device.model]
    values = dict(
        tenant=tenant,
        sn=f"EVIL{device.serial[-8:]}",
        model=model,
        tech=model.tech,
        mac=device.mac,
        management_address=device.address,
        management_port=device.port,
        management_scheme="http",
    )
    return Cpe.objects.create(**{**values, **fields})


@pytest.fixture
def sent(monkeypatch) -> list[int]:
    """The actions the API would hand to Celery; the test runs them itself (``actions.run``) instead."""
    messages: list[int] = []
    monkeypatch.setattr(action_request, "_send", lambda action_id, config, countdown=None: messages.append(action_id))
    return messages


# Committed rows (transaction=True): the engine's heartbeat thread must see them, as a worker would,
# so that on the code before the rule this attack really runs and leaks.
@pytest.mark.django_db(transaction=True)
def test_a_row_from_before_the_rule_cannot_run_an_action_on_another_tenants_device(
    sim_fleet, tenant_a, tenant_b, api_b, sent
):
    """The issue's attack at connect time: B's old row points at A's ONT; cwmp_diagnostic fails, A's data stays."""
    device = halny_of(sim_fleet)
    victim = cpes_for(tenant_a, [device])[device.serial]
    evil = foreign_row(tenant_b, device)  # both tenants had 127.0.0.0/8 (the old demo setup)
    response = api_b.post(f"/api/v2/cpes/{evil.pk}/cwmp_diagnostic")
    assert response.status_code == 202, response.content
    action_id = response.json()["id"]
    assert sent == [action_id]

    assert actions.run(action_id).status == ActionStatus.FAILED
    action = DeviceAction.objects.get(pk=action_id)
    assert action.status == ActionStatus.FAILED
    assert action.error.startswith("ManagementAddressShared: management address ")
    assert "also used by a CPE of another tenant" in action.error
    steps = list(action.steps.order_by("seq").values_list("message", flat=True))
    assert steps[-1].startswith("final error on attempt 1 at connect: ManagementAddressShared")
    # Nothing of A's device reached B: not in the action, not in what B's API answers.
    record = api_b.get(f"/api/v2/isp/actions/{action_id}/").json()
    answered = json.dumps(record) + json.dumps(api_b.get(record["_links"]["steps"]).json())
    assert not action.result and device.serial not in answered and victim.sn not in answered
    # The owner is refused too until an admin resolves the clash: nobody talks to a contested device.
    victim = Cpe.objects.select_related("tenant", "model").get(pk=victim.pk)
    with pytest.raises(ManagementAddressShared):
        endpoint_for(victim)


def test_the_poller_marks_a_contested_device_refused_for_both_tenants(sim_fleet, tenant_a, tenant_b):
    device = halny_of(sim_fleet)
    victim = cpes_for(tenant_a, [device])[device.serial]
    evil = foreign_row(tenant_b, device, management_port=None)  # the vendor's default port: the same device
    polling.ensure_states()
    report = polling.poll_batch([victim.pk, evil.pk], FAST)
    assert report.claimed == 2 and report.reached == 0
    for cpe in (victim, evil):
        state = DeviceState.objects.get(cpe=cpe)
        assert "also used by a CPE of another tenant" in state.last_error, state.last_error
        assert state.online is not True and state.last_seen is None
    assert DeviceSample.objects.count() == 0
    # Resolved (the foreign row loses the address): the owner's device answers the next round.
    Cpe.objects.filter(pk=evil.pk).update(management_address=None)
    assert polling.poll_batch([victim.pk], FAST).reached == 1


def test_the_poller_checks_a_batch_in_one_query(sim_fleet, tenant_a, tenant_b, django_assert_num_queries):
    cpes = cpes_for(tenant_a, sim_fleet.devices)
    foreign_row(tenant_b, halny_of(sim_fleet))
    loaded = list(Cpe.objects.filter(pk__in=[c.pk for c in cpes.values()]).select_related("tenant", "model"))
    for batch in (loaded[:1], loaded):
        with django_assert_num_queries(1):
            targets = polling.build_targets(batch, FAST.timeout_s)
        assert len(targets) == len(batch)
    refused = [t for t in targets if t.endpoint is None]
    assert [t.cpe_id for t in refused] == [cpes[halny_of(sim_fleet).serial].pk]
    assert shared_endpoints(loaded) == {(halny_of(sim_fleet).address, halny_of(sim_fleet).port)}


# ---------------------------------------------------------------------------
# Never the portal's own services
# ---------------------------------------------------------------------------

OWN_SERVICES = [
    ("127.0.0.1", 8000),  # the portal (runserver / gunicorn)
    ("127.0.0.1", 7999),  # the fleet control API
    ("127.0.0.1", None),  # the portal's host, whatever the port
    ("127.50.9.9", 8000),  # a simulator range, but the portal's port
    ("127.50.9.9", 7999),
    ("127.0.0.2", 48626),  # loopback outside the declared simulator ranges
    ("::1", 80),
    ("169.254.169.254", 80),  # cloud metadata
    ("0.0.0.0", 80),
    ("224.0.0.251", 80),
    ("::ffff:127.0.0.1", 48626),  # the portal's host in IPv6 clothing (the API unpacks it to 127.0.0.1)
]


@pytest.fixture
def admin_api(api_as, admin_user, tenant_a):
    return api_as(admin_user, tenant_a)


@pytest.mark.parametrize("address,port", OWN_SERVICES)
def test_a_cpe_at_the_portals_own_services_is_refused_at_write(admin_api, address, port):
    ensure_catalogue()
    payload = {"sn": "HALN00000001", "model": "HL-4GMV", "management_address": address, "management_port": port}
    response = admin_api.post("/api/v2/isp/cpes/", payload, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and list(body["errors"]) == ["management_address"], body
    assert "never contacts it" in body["detail"]
    assert not Cpe.objects.exists()


def test_write_controls_and_updates(admin_api):
    """A simulator address on a device port and a private address pass; an update is held to the same rule."""
    ensure_catalogue()
    for sn, address in (("HALN00000002", "127.50.9.9"), ("HALN00000003", "10.20.30.40")):
        payload = {"sn": sn, "model": "HL-4GMV", "management_address": address}
        assert admin_api.post("/api/v2/isp/cpes/", payload, format="json").status_code == 201
    cpe = Cpe.objects.get(sn="HALN00000003")
    response = admin_api.patch(f"/api/v2/isp/cpes/{cpe.pk}/", {"management_port": 8000}, format="json")
    assert response.status_code == 200  # 10.20.30.40:8000 is not the portal
    response = admin_api.patch(f"/api/v2/isp/cpes/{cpe.pk}/", {"management_address": "127.0.0.1"}, format="json")
    assert response.status_code == 400 and "management_address" in response.json()["errors"]
    cpe.refresh_from_db()
    assert cpe.management_address == "10.20.30.40"


@pytest.fixture
def portal_port_listener(settings) -> Iterator[tuple[socket.socket, str, int]]:
    """A listening socket standing in for the portal on a simulator-range address: did anyone knock?"""
    address = f"127.50.{process_octet()}.250"
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((address, 0))
    listener.listen(8)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    settings.NOC_PORTAL_PORTS = [*settings.NOC_PORTAL_PORTS, port]  # as if the portal listened here
    try:
        yield listener, address, port
    finally:
        listener.close()


@pytest.mark.django_db(transaction=True)
def test_rows_at_the_portals_own_services_are_refused_at_connect(
    portal_port_listener, tenant_a, api_as, admin_user, sent
):
    listener, address, port = portal_port_listener
    model = ensure_catalogue()["HL-4GMV"]
    api = api_as(admin_user, tenant_a)
    rows = {
        "web": Cpe.objects.create(
            tenant=tenant_a, sn="OWN1", model=model, management_address="127.0.0.1", management_port=8000
        ),
        "control": Cpe.objects.create(
            tenant=tenant_a, sn="OWN2", model=model, management_address="127.0.0.1", management_port=7999
        ),
        "listener": Cpe.objects.create(
            tenant=tenant_a, sn="OWN3", model=model, management_address=address, management_port=port
        ),
    }
    # 127.0.0.1 is refused as soon as an action is asked for ...
    for key in ("web", "control"):
        response = api.post(f"/api/v2/cpes/{rows[key].pk}/reboot")
        assert response.status_code == 409 and "portal's own host" in response.json()["detail"], response.content
    # ... a simulator address on the portal's port when the worker connects: before any socket is opened.
    response = api.post(f"/api/v2/cpes/{rows['listener'].pk}/cwmp_diagnostic")
    assert response.status_code == 202, response.content
    assert actions.run(response.json()["id"]).status == ActionStatus.FAILED
    action = DeviceAction.objects.get(pk=response.json()["id"])
    assert "one of the portal's own services" in action.error and not action.result
    # The poller marks all three refused, with the same words whether the port is open or closed.
    polling.ensure_states()
    assert polling.poll_batch([row.pk for row in rows.values()], FAST).reached == 0
    for row in rows.values():
        assert "never contacts it" in DeviceState.objects.get(cpe=row).last_error
    with pytest.raises(BlockingIOError):
        listener.accept()  # nobody knocked


def test_production_declares_no_simulator_range(settings, tenant_a, api_as, admin_user):
    """With NOC_SIMULATOR_NETWORKS empty (production), no loopback address passes, on write or connect."""
    settings.NOC_SIMULATOR_NETWORKS = []
    ensure_catalogue()
    payload = {"sn": "HALN00000004", "model": "HL-4GMV", "management_address": "127.50.9.9"}
    response = api_as(admin_user, tenant_a).post("/api/v2/isp/cpes/", payload, format="json")
    assert response.status_code == 400 and "loopback" in response.json()["detail"]


def test_the_default_simulator_ranges_cover_every_test_and_demo_fleet(settings):
    """The ranges settings declare are the fleets' plan (tests/devices/conftest.py), never 127.0.x."""
    assert settings.NOC_SIMULATOR_NETWORKS  # the test settings are the defaults
    for second in (1, 2, 10, 20, 30, 50, 52, 60, 62, 70, 75, 79, 90):
        assert own_service_problem(f"127.{second}.{process_octet()}.1", 48626) is None, second
    for address in ("127.0.0.1", "127.0.0.53", "127.3.0.1", "127.91.0.1"):
        assert own_service_problem(address, 48626), address
