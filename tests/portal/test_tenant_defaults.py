"""A new tenant starts with no management networks: every tenant used to get the same private
ranges, which overlap one another's in the global routing domain, so the admin refused a second
tenant created with what its own add form offered."""

from __future__ import annotations

import html
import re

import pytest

from devices.addresses import ManagementAddressRefused
from devices.connect import check_management_address
from portal.models import Tenant
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NETWORKS_FIELD = re.compile(r'<textarea name="management_networks"[^>]*>(.*?)</textarea>', re.S)


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def add_tenant_as_offered(client, name: str, slug: str):
    """Fill the admin's add-tenant form as it comes (its offered management networks untouched)."""
    page = client.get("/admin/portal/tenant/add/").content.decode()
    offered = html.unescape(NETWORKS_FIELD.search(page).group(1)).strip()
    return client.post(
        "/admin/portal/tenant/add/",
        {
            "name": name,
            "slug": slug,
            "realm": "",
            "management_networks": offered,
            "routing_domain": "",
            "dunning_grace_days": "14",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
        },
    )


def test_an_admin_adds_two_tenants_with_the_forms_defaults(superuser_client):
    first = add_tenant_as_offered(superuser_client, "First Fibre", "first-fibre")
    second = add_tenant_as_offered(superuser_client, "Second Wireless", "second-wireless")
    assert first.status_code == 302, first.content.decode()[-2000:]
    assert second.status_code == 302, re.findall(r"overlaps [^<]*", second.content.decode())
    tenants = Tenant.objects.filter(slug__in=["first-fibre", "second-wireless"])
    assert [t.management_networks for t in tenants] == [[], []]


def test_a_new_tenant_reaches_no_device_until_an_admin_gives_it_networks():
    tenant = Tenant.objects.create(name="Fresh ISP", slug="fresh")
    assert tenant.management_networks == []
    with pytest.raises(ManagementAddressRefused):
        check_management_address("10.20.30.40", tenant.management_networks)
    tenant.management_networks = ["10.20.0.0/16"]
    tenant.full_clean()
    check_management_address("10.20.30.40", tenant.management_networks)
