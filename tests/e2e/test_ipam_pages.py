"""Browser journey of a NOC operator through IPAM: pools with use bars, a subnet, allocate, search, release.

Screenshots go to test-artifacts/e2e/ipam-*.png.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from network.ipam.choices import AllocationStatus
from network.ipam.models import Allocation, Subnet
from portal.models import Tenant

pytestmark = pytest.mark.e2e


def test_noc_allocates_finds_and_releases_an_address(page, demo_site, login, screenshot):
    tenant = Tenant.objects.get(slug="demo")
    cgnat = Subnet.objects.for_tenant(tenant).get(cidr="100.64.0.0/16")
    login(page, "noc")
    page.get_by_label("Tenant").select_option(label="Demo Fibre & Wireless")
    expect(page.locator("#dashboard-tiles")).to_contain_text("nearly exhausted")

    page.get_by_role("link", name="IPAM").click()
    expect(page.get_by_role("heading", name="IP address pools")).to_be_visible()
    public = page.locator("#pool-table tbody tr", has_text="Public static")
    expect(public).to_contain_text("over 80 %")
    screenshot(page, "ipam-pools")

    page.get_by_role("link", name="100.64.0.0/16").click()
    expect(page.get_by_role("heading", name="Subnet 100.64.0.0/16")).to_be_visible()
    page.get_by_role("link", name="Allocate address").click()
    page.get_by_label("Address").fill("100.64.200.7")
    page.get_by_label("Description").fill("e2e static CGNAT")
    page.get_by_role("button", name="Allocate").click()
    expect(page.locator(".alert-success, .alert")).to_contain_text("Allocated 100.64.200.7")

    # Search as you type (htmx swaps the results).
    page.get_by_role("searchbox", name="Search").press_sequentially("100.64.200", delay=30)
    page.wait_for_url(re.compile(r"[?&]q="))
    rows = page.locator("#allocation-table tbody tr")
    expect(rows).to_have_count(1)
    screenshot(page, "ipam-subnet")

    page.once("dialog", lambda dialog: dialog.accept())
    rows.first.get_by_role("button", name="Release 100.64.200.7").click()
    expect(page.locator(".alert")).to_contain_text("in quarantine until")
    allocation = Allocation.objects.get(subnet=cgnat, address="100.64.200.7")
    assert allocation.status == AllocationStatus.QUARANTINED
