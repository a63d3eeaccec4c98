"""IPAM pages: pools and subnets with use bars, a subnet's allocations, allocate and release, tiles and panel."""

import pytest
from django.urls import reverse

from network.ipam import demo, services
from network.ipam.choices import AllocationStatus
from network.ipam.models import Allocation, Pool
from portal.dashboard import dashboard_tiles
from tests.billing.helpers import make_subscriber
from tests.factories import TenantFactory
from tests.pages.helpers import HTMX, client_for

from .helpers import make_pool, subnet_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_pool(tenant_a):
    """A /29 with its gateway: 5 usable, 5 allocated → 100 %, over the 80 % threshold."""
    pool = make_pool(tenant_a, "192.0.2.0/29", name="Public")
    subscriber = make_subscriber(tenant_a, name="Ola", surname="Nowak")
    for _ in range(5):
        services.allocate(tenant_a, pool=pool, assignment=services.Assignment(subscriber=subscriber))
    return pool


def test_pools_page_shows_use_and_the_alert(noc_user, full_pool, tenant_a):
    make_pool(tenant_a, "100.64.0.0/16", name="CGNAT")
    page = client_for(noc_user).get(reverse("ipam:pools")).content.decode()
    assert 'data-percent="100.0"' in page and "over 80 %" in page
    assert "100.64.0.0/16" in page and "0.0 %" in page


def test_subnets_page_finds_the_subnet_of_an_address(noc_user, full_pool, tenant_a):
    make_pool(tenant_a, "100.64.0.0/16", name="CGNAT")
    client = client_for(noc_user)
    fragment = client.get(reverse("ipam:subnets"), {"q": "100.64.9.9"}, **HTMX).content.decode()
    assert "100.64.0.0/16" in fragment and "192.0.2.0/29" not in fragment
    assert "<html" not in fragment


def test_subnet_page_lists_and_searches_allocations(noc_user, full_pool):
    subnet = subnet_of(full_pool)
    client = client_for(noc_user)
    page = client.get(reverse("ipam:subnet", args=[subnet.pk])).content.decode()
    assert page.count("data-allocation=") == 5 and "Nowak" in page
    found = client.get(reverse("ipam:subnet", args=[subnet.pk]), {"q": "192.0.2.4"}, **HTMX).content.decode()
    assert found.count("data-allocation=") == 1
    by_name = client.get(reverse("ipam:subnet", args=[subnet.pk]), {"q": "nowak"}, **HTMX).content.decode()
    assert by_name.count("data-allocation=") == 5


def test_allocate_form_allocates_and_reports_conflicts(noc_user, tenant_a):
    pool = make_pool(tenant_a, "100.64.0.0/24")
    subscriber = make_subscriber(tenant_a)
    client = client_for(noc_user)
    form = client.get(reverse("ipam:allocate"), {"pool": pool.pk, "subscriber": subscriber.pk})
    assert form.status_code == 200 and f'value="{subscriber.pk}"' in form.content.decode()
    done = client.post(reverse("ipam:allocate"), {"pool": pool.pk, "subscriber": subscriber.pk})
    assert done.status_code == 302 and done["Location"] == reverse("ipam:subnet", args=[subnet_of(pool).pk])
    assert Allocation.objects.get().subscriber == subscriber
    taken = client.post(reverse("ipam:allocate"), {"pool": pool.pk, "address": "100.64.0.2"})
    assert taken.status_code == 409 and "already allocated" in taken.content.decode()
    for data, message in [
        ({"pool": pool.pk, "address": "10.0.0.1"}, "outside"),
        ({"address": "100.64.0.9"}, "Choose a pool or a subnet"),
        ({"pool": pool.pk, "subscriber": 999999}, "No such subscriber"),
    ]:
        response = client.post(reverse("ipam:allocate"), data)
        assert response.status_code == 400 and message in response.content.decode()
    assert Allocation.objects.count() == 1


def test_release_button_quarantines(noc_user, full_pool):
    allocation = Allocation.objects.order_by("key").first()
    client = client_for(noc_user)
    response = client.post(reverse("ipam:release", args=[allocation.pk]), follow=True)
    assert "in quarantine until" in response.content.decode()
    assert Allocation.objects.get(pk=allocation.pk).status == AllocationStatus.QUARANTINED


def test_support_reads_but_cannot_allocate(support_user, full_pool):
    client = client_for(support_user)
    assert client.get(reverse("ipam:pools")).status_code == 200
    page = client.get(reverse("ipam:subnet", args=[subnet_of(full_pool).pk])).content.decode()
    assert "ipam:release" not in page and "/release/" not in page
    assert client.get(reverse("ipam:allocate")).status_code == 403
    allocation = Allocation.objects.first()
    assert client.post(reverse("ipam:release", args=[allocation.pk])).status_code == 403


def test_dashboard_tile_alerts_on_a_pool_over_its_threshold(noc_user, full_pool, tenant_a):
    tiles = {t.key: t for t in dashboard_tiles(tenant_a, "noc")}
    assert tiles["ipam_pools_over"].value == 1 and tiles["ipam_pools_over"].tone == "danger"
    assert tiles[f"ipam_pool_{full_pool.pk}"].value == "100.0 %"
    page = client_for(noc_user).get("/").content.decode()
    assert "Public nearly exhausted" in page


def test_subscriber_page_shows_the_subscribers_addresses(noc_user, full_pool):
    subscriber = Allocation.objects.first().subscriber
    page = client_for(noc_user).get(reverse("subscribers:detail", args=[subscriber.pk])).content.decode()
    assert 'id="ip-addresses"' in page and "192.0.2.2" in page and "192.0.2.6" in page


def test_demo_is_idempotent_and_puts_the_public_pool_over_its_threshold(noc_user, tenant_a):
    for i in range(5):
        make_subscriber(tenant_a, name=f"S{i}")
    first = demo.seed({"demo": tenant_a}, small=True)["demo"]
    assert first["pools"] == 4 and first["allocations"] == 5 * 2 + demo.STATIC_ADDRESSES
    assert demo.seed({"demo": tenant_a}, small=True)["demo"]["allocations"] == 0
    assert set(Pool.objects.values_list("name", flat=True)) == {
        "Public static",
        "Public IPv6",
        "CGNAT",
        "CPE management",
    }
    assert "ipam_pools_over" in {t.key for t in dashboard_tiles(tenant_a, "noc")}
    other = TenantFactory(slug="acme")
    assert demo.seed({"acme": other}, small=True)["acme"]["pools"] == 4  # the same CGNAT /16 in another tenant
