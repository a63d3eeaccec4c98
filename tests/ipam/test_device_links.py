"""IPAM in the Krill CPE view (``attrs=ip_addresses``) and in the static WAN provisioning renders (issue 12, Links).

Through the real API (bearer token, tenant gate) and the real provisioning
entry points; the worker test on the HALNy simulator is in
tests/devices/actions/test_static_wan.py.
"""

from __future__ import annotations

import pytest
from django.test import Client

from devices import actions
from devices.choices import ActionKind, Tech, WanMode
from devices.models import AddressProfile, Cpe, DeviceAction
from devices.provisioning import ProvisioningError, from_cpe, render
from devices.selectors import CPE_RELATED
from devices.services import ensure_catalogue
from network.ipam import services
from network.ipam.choices import PoolPurpose
from network.ipam.models import Allocation
from network.ipam.services import Assignment
from portal.roles import Role
from tests.devices.factories import CpeFactory, ServiceProfileFactory
from tests.ipam.helpers import make_pool, make_vrf

pytestmark = pytest.mark.django_db


@pytest.fixture
def pools(tenant_a):
    public = make_pool(tenant_a, "203.0.113.0/28", name="Public", purpose=PoolPurpose.PUBLIC_STATIC)
    cgnat = make_pool(tenant_a, "100.64.0.0/24", name="CGNAT", purpose=PoolPurpose.CGNAT)
    mgmt = make_pool(
        tenant_a, "10.10.0.0/24", name="Mgmt", purpose=PoolPurpose.MANAGEMENT, vrf=make_vrf(tenant_a, "mgmt")
    )
    return public, cgnat, mgmt


def _addresses(api, cpe) -> list[str]:
    response = api.get(f"/api/v2/isp/cpes/{cpe.pk}/?attrs=id,ip_addresses")
    assert response.status_code == 200, response.content
    return [row["address"] for row in response.json()["ip_addresses"]]


# -- the Krill CPE view ------------------------------------------------------------------------


def test_ip_addresses_are_an_opt_in_portal_extension(api, tenant_a, pools):
    public, _, mgmt = pools
    cpe = CpeFactory(tenant=tenant_a)
    services.allocate(tenant_a, pool=public, assignment=Assignment(subscriber=cpe.customer))
    services.allocate(tenant_a, pool=mgmt, assignment=Assignment(cpe=cpe))

    plain = api.get(f"/api/v2/isp/cpes/{cpe.pk}/").json()
    assert "ip_addresses" not in plain  # Krill's record keeps Krill's keys
    assert "ip_addresses" not in api.get("/api/v2/isp/cpes/").json()["results"][0]

    record = api.get(f"/api/v2/isp/cpes/{cpe.pk}/?attrs=id,ip_addresses").json()
    assert record == {
        "id": cpe.pk,
        "ip_addresses": [
            {"address": "10.10.0.2", "vrf": "mgmt", "pool": "Mgmt", "purpose": "management", "status": "allocated"},
            {
                "address": "203.0.113.2",
                "vrf": "internet",
                "pool": "Public",
                "purpose": "public_static",
                "status": "allocated",
            },
        ],
    }
    listed = api.get("/api/v2/isp/cpes/?attrs=id,ip_addresses").json()["results"]
    assert listed == [record]


def test_only_live_allocations_of_this_cpe_and_its_subscriber(api, tenant_a, pools):
    public, cgnat, _ = pools
    cpe = CpeFactory(tenant=tenant_a)
    sibling = CpeFactory(tenant=tenant_a, customer=cpe.customer)
    stranger = CpeFactory(tenant=tenant_a)
    kept = services.allocate(tenant_a, pool=cgnat, assignment=Assignment(subscriber=cpe.customer))
    gone = services.allocate(tenant_a, pool=public, assignment=Assignment(cpe=cpe))
    services.release(tenant_a, allocation=gone)  # quarantined: no longer the subscriber's
    services.allocate(tenant_a, pool=public, assignment=Assignment(cpe=sibling))
    services.allocate(tenant_a, pool=public, assignment=Assignment(subscriber=stranger.customer))

    assert _addresses(api, cpe) == [kept.address]
    # The sibling shows its own address and the subscriber's.
    assert _addresses(api, sibling) == ["100.64.0.2", "203.0.113.3"]
    assert _addresses(api, stranger) == ["203.0.113.4"]


def test_another_tenants_rows_never_show(api, tenant_a, tenant_b, pools):
    cpe = CpeFactory(tenant=tenant_a)
    foreign = make_pool(tenant_b, "198.51.100.0/29", name="B public", purpose=PoolPurpose.PUBLIC_STATIC)
    row = services.allocate(tenant_b, pool=foreign)
    # A corrupt row of tenant B pointing at tenant A's CPE and subscriber: the tenant filter still holds.
    Allocation.objects.filter(pk=row.pk).update(cpe=cpe, subscriber=cpe.customer)
    assert _addresses(api, cpe) == []


def test_a_page_of_addresses_costs_one_query_whatever_its_size(api, tenant_a, pools, django_assert_num_queries):
    public, cgnat, _ = pools
    for n in range(12):
        cpe = CpeFactory(tenant=tenant_a)
        services.allocate(tenant_a, pool=cgnat, assignment=Assignment(subscriber=cpe.customer))
        if n % 3 == 0:
            services.allocate(tenant_a, pool=public, assignment=Assignment(cpe=cpe))
    for limit in (2, 12):
        # 3 tenant gate + COUNT + page + 1 for every CPE's addresses (query_counts.json pins the same).
        with django_assert_num_queries(6):
            response = api.get(f"/api/v2/isp/cpes/?attrs=id,ip_addresses&limit={limit}")
        rows = response.json()["results"]
        assert len(rows) == limit and all(row["ip_addresses"] for row in rows)
    with django_assert_num_queries(5):  # 3 tenant gate + the CPE + its addresses
        api.get(f"/api/v2/isp/cpes/{cpe.pk}/?attrs=id,ip_addresses")


def test_ip_addresses_are_read_only(api, tenant_a, pools):
    cpe = CpeFactory(tenant=tenant_a)
    response = api.patch(f"/api/v2/isp/cpes/{cpe.pk}/", {"ip_addresses": [{"address": "203.0.113.9"}]}, format="json")
    assert response.status_code == 400
    assert "ip_addresses" in response.json()["errors"]
    assert not Allocation.objects.exists()
    # A write answers the Krill record, without the extension.
    response = api.patch(f"/api/v2/isp/cpes/{cpe.pk}/?attrs=id,ip_addresses", {"notes": "x"}, format="json")
    assert response.status_code == 200 and "ip_addresses" not in response.json()


def test_every_role_that_reads_cpes_reads_their_addresses(api_as, role_users, tenant_a, pools):
    cpe = CpeFactory(tenant=tenant_a)
    services.allocate(tenant_a, pool=pools[0], assignment=Assignment(cpe=cpe))
    for role in (Role.ADMIN, Role.NOC, Role.SUPPORT, Role.READONLY):
        client = api_as(role_users[role], tenant_a)
        response = client.get(f"/api/v2/isp/cpes/{cpe.pk}/?attrs=id,ip_addresses")
        assert response.json()["ip_addresses"][0]["address"] == "203.0.113.2", role
    # Billing does not read devices at all.
    client = api_as(role_users[Role.BILLING], tenant_a)
    assert client.get(f"/api/v2/isp/cpes/{cpe.pk}/?attrs=id,ip_addresses").status_code == 403


def test_another_tenants_cpe_is_a_404(api_b, tenant_a, pools):
    cpe = CpeFactory(tenant=tenant_a)
    services.allocate(tenant_a, pool=pools[0], assignment=Assignment(cpe=cpe))
    response = api_b.get(f"/api/v2/isp/cpes/{cpe.pk}/?attrs=id,ip_addresses")
    assert response.status_code == 404
    assert "203.0.113" not in response.content.decode()


def test_the_schema_documents_ip_addresses():
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    cpe = schema["components"]["schemas"]["Cpe"]["properties"]["ip_addresses"]
    assert cpe["readOnly"] and cpe["type"] == "array" and "attrs" in cpe["description"]
    item = schema["components"]["schemas"]["CpeIpAddress"]["properties"]
    assert set(item) == {"address", "vrf", "pool", "purpose", "status"}


# -- the static WAN ----------------------------------------------------------------------------


@pytest.fixture
def static_cpe(tenant_a):
    profile = ServiceProfileFactory(tenant=tenant_a, wan_mode=WanMode.STATIC, internet_vlan=100)
    lan = AddressProfile.objects.create(tenant=tenant_a, name="LAN", dns_servers=["1.1.1.1", "9.9.9.9"])
    return CpeFactory(tenant=tenant_a, profile=profile, address_profile=lan, management_address="127.52.200.9")


def _wan1(cpe) -> dict:
    config = render(from_cpe(cpe), ActionKind.REPROVISION)
    return next(s.values for s in config.sections if s.path == "wan/1")


def test_a_static_wan_without_an_allocation_is_refused_up_front(tenant_a, static_cpe, pools):
    _, cgnat, mgmt = pools
    # CGNAT and management addresses are not a routed static address.
    services.allocate(tenant_a, pool=cgnat, assignment=Assignment(subscriber=static_cpe.customer))
    services.allocate(tenant_a, pool=mgmt, assignment=Assignment(cpe=static_cpe))
    with pytest.raises(ProvisioningError, match="no static address"):
        render(from_cpe(static_cpe), ActionKind.REPROVISION)
    tenant_a.management_networks = ["127.0.0.0/8"]
    tenant_a.save()
    for kind in (ActionKind.REPROVISION, ActionKind.RECONFIG):
        with pytest.raises(actions.ActionRefused, match="public static IPAM pool"):
            actions.request_action(static_cpe, kind)
    assert not DeviceAction.objects.exists()
    # Unprovision needs no address.
    actions.request_action(static_cpe, ActionKind.UNPROVISION)


def test_the_static_wan_takes_the_subscribers_public_static_address(tenant_a, static_cpe, pools):
    services.allocate(tenant_a, pool=pools[0], assignment=Assignment(subscriber=static_cpe.customer))
    wan = _wan1(static_cpe)
    assert wan["conn_type"] == "static"
    assert (wan["ip"], wan["netmask"], wan["gateway"]) == ("203.0.113.2", "255.255.255.240", "203.0.113.1")
    assert (wan["dns_primary"], wan["dns_secondary"]) == ("1.1.1.1", "9.9.9.9")


def test_the_cpes_own_allocation_wins_and_another_cpes_is_not_taken(tenant_a, static_cpe, pools):
    public = pools[0]
    sibling = CpeFactory(tenant=tenant_a, customer=static_cpe.customer)
    services.allocate(tenant_a, pool=public, assignment=Assignment(subscriber=static_cpe.customer, cpe=sibling))
    with pytest.raises(ProvisioningError, match="no static address"):
        render(from_cpe(static_cpe), ActionKind.REPROVISION)
    services.allocate(tenant_a, pool=public, assignment=Assignment(subscriber=static_cpe.customer))
    own = services.allocate(tenant_a, pool=public, assignment=Assignment(cpe=static_cpe))
    assert _wan1(static_cpe)["ip"] == own.address == "203.0.113.4"
    services.release(tenant_a, allocation=own)
    assert _wan1(static_cpe)["ip"] == "203.0.113.3"  # back to the subscriber's


def test_a_subnet_without_a_gateway_is_refused(tenant_a, static_cpe):
    pool = make_pool(tenant_a, "192.0.2.0/29", name="No gw", purpose=PoolPurpose.PUBLIC_STATIC, gateway=False)
    services.allocate(tenant_a, pool=pool, assignment=Assignment(cpe=static_cpe))
    with pytest.raises(ProvisioningError, match="no gateway"):
        render(from_cpe(static_cpe), ActionKind.REPROVISION)


def test_peplink_renders_the_seeds_static_ip_method(tenant_a, static_cpe, pools):
    static_cpe.model = ensure_catalogue()["Balance 20X"]
    static_cpe.tech = Tech.ETHERNET
    static_cpe.save()
    services.allocate(tenant_a, pool=pools[0], assignment=Assignment(cpe=static_cpe))
    config = render(from_cpe(static_cpe), ActionKind.REPROVISION)
    connection = next(s.values for s in config.sections if s.path == "config.wan.connection/1")["connection"]
    assert connection["method"] == {
        "type": "staticIp",
        "detail": {"ip": "203.0.113.2", "mask": 28, "gateway": "203.0.113.1"},
    }


def test_other_wan_modes_ask_ipam_nothing(tenant_a, pools, django_assert_num_queries):
    cpe = CpeFactory(tenant=tenant_a, profile=ServiceProfileFactory(tenant=tenant_a, wan_mode=WanMode.DHCP))
    services.allocate(tenant_a, pool=pools[0], assignment=Assignment(cpe=cpe))
    cpe = Cpe.objects.select_related(*CPE_RELATED).get(pk=cpe.pk)
    with django_assert_num_queries(1):  # the POTS lines, as before IPAM
        inp = from_cpe(cpe)
    assert inp.static_wan is None
