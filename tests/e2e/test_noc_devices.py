"""Browser journeys of NOC and support staff through the device, action and alert pages.

Against a live server, a real Celery worker and the simulated demo fleet
(tests/e2e/fleet_fixtures.py): the devices answer over real sockets, actions
run in the worker, and the live panels show what a real poll round wrote.
Screenshots of each page go to test-artifacts/e2e/.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from devices.demo import demo_manifests
from devices.models import ActionBatch, Cpe, DeviceAction

from .conftest import csrf_headers
from .tenant_switch import demo_then_acme, switch_tenant

pytestmark = [pytest.mark.e2e, pytest.mark.celery]

ACTION_TIMEOUT_MS = 45_000
BATCH_TIMEOUT_MS = 120_000


def healthy_ont(tenant_slug: str = "demo"):
    """A demo ONT with a subscriber whose simulated device has no demo fault (lively: none)."""
    calm = {d.serial for d in demo_manifests(small=True)[tenant_slug] if not d.extra.get("lively")}
    return (
        Cpe.objects.filter(
            tenant__slug=tenant_slug, model__family="halny", sn__in=calm, customer__status="active", active=True
        )
        .select_related("customer")
        .order_by("id")
        .first()
    )


def test_noc_finds_a_subscriber_watches_their_ont_live_and_reboots_it(page, fleet_site, login, screenshot, settings):
    # A stricter optical threshold than the default, so the demo's ONTs raise a few alerts to show.
    settings.NOC_ALERT_THRESHOLDS = {"rx_low": {"open": -20.0, "clear": -19.5}}
    for _ in range(3):  # a few rounds: the live panel has a state, the chart a few samples
        fleet_site.poll()
    ont = healthy_ont()
    assert ont is not None
    login(page, "noc")
    switch_tenant(page, "Demo Fibre & Wireless")
    expect(page.locator("#alert-panel")).to_be_visible()
    screenshot(page, "dashboard-noc")

    # Find the subscriber by typing part of the name, open their ONT.
    page.get_by_role("link", name="Subscribers").click()
    page.get_by_role("searchbox", name="Search").press_sequentially(ont.customer.surname[:5], delay=40)
    page.wait_for_url(re.compile(r"[?&]q="))
    page.locator("#subscriber-table tbody tr").filter(has_text=ont.customer.surname).first.get_by_role(
        "link"
    ).first.click()
    page.locator("#cpes").get_by_role("link", name=str(ont)).click()
    expect(page.get_by_role("heading", name=str(ont))).to_be_visible()
    live = page.locator("#live")
    expect(live).to_contain_text("Online")
    expect(page.locator("#live-rx")).to_contain_text("dBm")
    polled_before = page.locator("#live-last-polled").get_attribute("data-polled")
    rx_before = page.locator("#live-rx").inner_text()

    # Another round: the panel refreshes itself (htmx every 5 s) with the new poll time.
    fleet_site.poll()
    expect(page.locator("#live-last-polled")).not_to_have_attribute("data-polled", polled_before, timeout=15_000)
    print(f"live panel: Rx {rx_before} -> {page.locator('#live-rx').inner_text()}")
    expect(page.locator("#signal-chart")).to_be_visible()
    assert json.loads(page.locator("#signal-data").inner_text())["points"] >= 3
    screenshot(page, "device-detail-ont")

    # Reboot: confirm, then the progress view streams the steps until it succeeds.
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator('#actions [data-action="reboot"]').click()
    progress = page.locator("#action-progress .action-progress")
    expect(progress).to_have_attribute("data-finished", "true", timeout=ACTION_TIMEOUT_MS)
    expect(progress).to_have_attribute("data-status", "succeeded")
    expect(progress.locator(".step-log")).to_contain_text("reboot accepted")
    # The action's end reloads the history panel (HX-Trigger: action-finished).
    expect(page.locator("#history")).to_contain_text(f"Reboot #{DeviceAction.objects.get(cpe=ont).pk}")
    screenshot(page, "device-action-progress")
    page.set_viewport_size({"width": 2560, "height": 1440})
    screenshot(page, "device-detail-wall", full_page=False)
    page.set_viewport_size({"width": 1366, "height": 768})
    action = DeviceAction.objects.filter(cpe=ont, kind="reboot").get()
    assert action.status == "succeeded" and action.source == "ui" and action.requested_by.username == "noc"

    progress.get_by_role("link", name="Open the action").click()
    expect(page.locator(".step-log li")).to_have_count(action.steps.count())
    screenshot(page, "action-detail")

    # The open ticket link carries the device (the ticket form attaches its latest state).
    page.goto(f"{fleet_site.url}/devices/{ont.pk}/")
    page.locator("#open-ticket").click()
    expect(page.get_by_role("heading", name=re.compile("New ticket"))).to_be_visible()

    # The alerts page: newest first, each linking to its device.
    fleet_site.go(page, "/devices/alerts/")
    expect(page.get_by_role("heading", name="Open alerts")).to_be_visible()
    expect(page.locator("#alert-table tbody tr").first).to_be_visible()
    screenshot(page, "alerts")
    page.locator("#alert-table tbody tr").first.get_by_role("link").first.click()
    expect(page.locator("#live-alerts")).to_be_visible()

    fleet_site.go(page, "/")
    expect(page.locator("#alert-panel [data-alert]").first).to_be_visible()
    screenshot(page, "dashboard-alerts")


def test_noc_runs_a_bulk_reconfigure_on_20_devices_to_completion(page, fleet_site, login, screenshot):
    demo_ids = set(Cpe.objects.filter(tenant__slug="demo").values_list("pk", flat=True))
    assert len(demo_ids) == 20
    fleet_site.poll()
    login(page, "noc")
    switch_tenant(page, "Demo Fibre & Wireless")
    fleet_site.go(page, "/devices/")
    rows = page.locator("#device-table tbody tr")
    expect(rows).to_have_count(20)
    screenshot(page, "devices-list")

    page.get_by_label("Select every device on this page").check()
    bar = page.locator("#bulk-bar")
    expect(bar).to_be_visible()
    expect(bar.locator("[data-bulk-count]")).to_have_text("20")
    bar.get_by_label("Action").select_option("reconfig")
    bar.get_by_role("button", name="Run on selected…").click()
    dialog = page.locator("#bulk-confirm")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Run reconfigure on 20 devices?")
    screenshot(page, "devices-bulk-confirm", full_page=False)
    dialog.get_by_role("button", name="Run on 20 devices").click()

    page.wait_for_url(re.compile(r"/devices/actions/batches/\d+/$"))
    progress = page.locator("#batch-progress")
    expect(progress).to_be_visible()
    expect(progress).to_have_attribute("data-done", "true", timeout=BATCH_TIMEOUT_MS)
    expect(page.locator("#batch-percent")).to_have_text("100%")
    expect(page.locator("#batch-bar")).to_have_class(re.compile(r"\bpct-100\b"))
    # The action table refreshed with the bar (out-of-band swap): nothing is left queued.
    expect(page.locator("#batch-actions-card")).not_to_contain_text("Queued")
    screenshot(page, "batch-detail")

    batch = ActionBatch.objects.get()
    assert set(batch.selection["cpes"]) == demo_ids
    assert batch.total + len(batch.skipped) == 20
    statuses = list(batch.actions.values_list("status", flat=True))
    assert statuses and all(s in ("succeeded", "failed") for s in statuses)
    assert statuses.count("succeeded") >= batch.total // 2, statuses  # a few demo devices are faulty on purpose
    print(f"batch: {batch.total} queued, {len(batch.skipped)} skipped, {statuses.count('succeeded')} succeeded")

    fleet_site.go(page, "/devices/actions/")
    expect(page.locator("#action-table")).to_be_visible()
    screenshot(page, "actions-list")
    fleet_site.go(page, "/devices/actions/batches/")
    expect(page.locator("#batch-table")).to_contain_text(f"#{batch.pk}")
    screenshot(page, "batches-list")


def test_support_sees_no_factory_reset_and_a_forged_one_is_refused(page, fleet_site, login, screenshot):
    ont = healthy_ont()
    login(page, "support")
    fleet_site.go(page, f"/devices/{ont.pk}/")
    buttons = page.locator("#actions")
    expect(buttons.locator('[data-action="reboot"]')).to_be_visible()
    expect(buttons.locator('[data-action="factory"]')).to_have_count(0)
    expect(buttons.locator('[data-action="unprovision"]')).to_have_count(0)
    screenshot(page, "device-detail-support")

    response = page.request.post(f"{fleet_site.url}/devices/{ont.pk}/actions/factory/", headers=csrf_headers(page))
    assert response.status == 403
    response = page.request.post(
        f"{fleet_site.url}/devices/actions/batches/new/",
        form={"kind": "factory", "cpe": str(ont.pk)},
        headers=csrf_headers(page),
    )
    assert response.status == 403
    assert not DeviceAction.objects.filter(kind="factory").exists()


def test_switching_tenant_shows_only_that_tenants_devices(page, fleet_site, login, screenshot):
    demo_cpe = Cpe.objects.filter(tenant__slug="demo").order_by("id").first()
    acme_cpe = Cpe.objects.filter(tenant__slug="acme").order_by("id").first()
    login(page, "noc")
    table = demo_then_acme(page, fleet_site, "/devices/", "#device-table", demo_cpe.sn, acme_cpe.sn)
    expect(table.locator("tbody tr")).to_have_count(Cpe.objects.filter(tenant__slug="acme").count())
    screenshot(page, "devices-acme")
    assert fleet_site.go(page, f"/devices/{demo_cpe.pk}/").status == 404
    assert fleet_site.go(page, f"/devices/{acme_cpe.pk}/").status == 200

    # A large NOC wall screen: the same list, more room.
    page.set_viewport_size({"width": 2560, "height": 1440})
    fleet_site.go(page, "/devices/")
    screenshot(page, "devices-wall", full_page=False)
