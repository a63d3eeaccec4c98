"""Device, alert and device-action pages: roles (403), tenants (404), fragments, 286, batches, query counts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from devices.choices import ActionKind, ActionSource, ActionStatus, StepLevel
from devices.models import ActionBatch, Alert, DeviceAction, DeviceActionStep, DeviceSample, DeviceState
from devices.services import ensure_catalogue
from portal.choices import Role
from support.services import create_ticket
from tests.devices.factories import CpeFactory, ServiceProfileFactory, SubscriberFactory

from .helpers import HTMX, assert_constant_queries, client_for, count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(db):
    return ensure_catalogue()


@pytest.fixture
def ont(tenant_a, catalogue):
    cpe = CpeFactory(
        tenant=tenant_a,
        model=catalogue["HL-4GMV"],
        sn="HALN00ONT001",
        management_address="127.20.0.5",
        mac="E0:67:B3:12:87:80",
        profile=ServiceProfileFactory(tenant=tenant_a),
        pppoe_password="secret-ppp",
        customer=SubscriberFactory(tenant=tenant_a, name="Anna", surname="Nowak"),
    )
    now = timezone.now()
    DeviceState.objects.create(
        tenant=tenant_a,
        cpe=cpe,
        online=True,
        last_polled=now,
        last_seen=now,
        uptime_s=266400,
        firmware="V3.2.51",
        rx_dbm=-28.4,
        tx_dbm=2.1,
        client_count=1,
        clients=[
            {
                "mac": "AA:BB:CC:00:00:01",
                "ip": "192.168.1.100",
                "name": "laptop",
                "connection_type": "wireless",
                "ssid": "HOME",
                "signal": -51,
                "active": True,
            }
        ],
    )
    DeviceSample.objects.bulk_create(
        [DeviceSample(cpe=cpe, at=now - timedelta(minutes=i), rx_dbm=-20 - i / 10, tx_dbm=2.0) for i in range(30)]
    )
    Alert.objects.create(
        tenant=tenant_a,
        cpe=cpe,
        kind="rx_low",
        severity="critical",
        opened=now,
        message="Optical Rx -28.4 dBm below -27.0 dBm",
    )
    return cpe


@pytest.fixture
def router(tenant_a, catalogue):
    cpe = CpeFactory(tenant=tenant_a, model=catalogue["MAX BR1"], tech="lte", management_address="127.20.0.6")
    DeviceState.objects.create(
        tenant=tenant_a,
        cpe=cpe,
        online=True,
        last_polled=timezone.now(),
        rsrp=-95,
        sinr=12,
        wan=[
            {
                "id": 1,
                "name": "Cellular",
                "enabled": True,
                "up": True,
                "state": "connected",
                "ip": "10.1.2.3",
                "type": "cellular",
            }
        ],
    )
    return cpe


def make_action(cpe, status=ActionStatus.SUCCEEDED, kind=ActionKind.REBOOT, **values) -> DeviceAction:
    action = DeviceAction.objects.create(tenant=cpe.tenant, cpe=cpe, kind=kind, status=status, **values)
    DeviceActionStep.objects.create(action=action, seq=1, time=timezone.now(), level=StepLevel.INFO, message="queued")
    return action


# --- roles and tenants ------------------------------------------------------------------------


READ_URLS = [
    "/devices/",
    "/devices/{ont}/",
    "/devices/{ont}/live/",
    "/devices/alerts/",
    "/devices/alerts/panel/",
    "/devices/actions/",
    "/devices/actions/{action}/",
    "/devices/actions/{action}/progress/",
    "/devices/actions/batches/",
    "/devices/actions/batches/{batch}/",
]


@pytest.fixture
def urls(ont):
    action = make_action(ont)
    batch = ActionBatch.objects.create(tenant=ont.tenant, kind=ActionKind.REBOOT, total=1)
    action.batch = batch
    action.save(update_fields=["batch"])
    return [u.format(ont=ont.pk, action=action.pk, batch=batch.pk) for u in READ_URLS]


@pytest.mark.parametrize("role", list(Role))
def test_device_pages_are_for_roles_that_see_devices(role_users, role, urls):
    client = client_for(role_users[role])
    allowed = role != Role.BILLING  # billing handles money, never devices
    for url in urls:
        status = client.get(url).status_code
        assert status == (200 if allowed else 403) or (allowed and status == 286), (role, url, status)


def test_another_tenants_devices_actions_and_batches_are_not_found(outsider, urls, ont):
    client = client_for(outsider)
    for url in urls:
        if re.search(r"/\d+/", url):  # pages of one device, action or batch
            assert client.get(url).status_code == 404, url
    # Lists show nothing of tenant A.
    assert ont.sn not in client.get("/devices/").content.decode()
    assert client.post(f"/devices/{ont.pk}/actions/reboot/").status_code == 404
    assert client.post("/devices/actions/batches/new/", {"kind": "reboot", "cpe": [ont.pk]}).status_code == 302
    assert not ActionBatch.objects.filter(tenant=outsider.memberships.get().tenant).exclude(total=0).exists()


@pytest.mark.parametrize(
    ("role", "kind", "allowed"),
    [
        (Role.SUPPORT, "reboot", True),
        (Role.SUPPORT, "factory", False),
        (Role.SUPPORT, "unprovision", False),
        (Role.READONLY, "reboot", False),
        (Role.NOC, "factory", True),
    ],
)
def test_action_buttons_follow_the_role_and_the_server_refuses_the_rest(role_users, role, kind, allowed, ont):
    client = client_for(role_users[role])
    html = client.get(f"/devices/{ont.pk}/").content.decode()
    assert (f'data-action="{kind}"' in html) is allowed
    response = client.post(f"/devices/{ont.pk}/actions/{kind}/", **HTMX)
    if allowed:
        assert response.status_code == 200
        assert DeviceAction.objects.filter(cpe=ont, kind=kind, source=ActionSource.UI).exists()
    else:
        assert response.status_code == 403
        assert not DeviceAction.objects.filter(cpe=ont, kind=kind).exists()


def test_forged_bulk_action_of_a_forbidden_kind_is_refused(support_user, ont):
    response = client_for(support_user).post("/devices/actions/batches/new/", {"kind": "factory", "cpe": [ont.pk]})
    assert response.status_code == 403
    assert not ActionBatch.objects.exists()


# --- device list ------------------------------------------------------------------------------


def test_list_filters_search_and_fragment(noc_user, ont, router):
    client = client_for(noc_user)
    html = client.get("/devices/").content.decode()
    assert ont.sn in html and router.sn in html
    assert "data-bulk-row" in html and 'id="bulk-confirm"' in html
    html = client.get("/devices/?family=peplink").content.decode()
    assert router.sn in html and ont.sn not in html
    html = client.get("/devices/?alerting=true").content.decode()
    assert ont.sn in html and router.sn not in html
    html = client.get("/devices/?q=nowak", **HTMX).content.decode()
    assert html.lstrip().startswith('<div id="results"') and ont.sn in html and router.sn not in html
    html = client.get("/devices/?q=e0:67:b3").content.decode()
    assert ont.sn in html and router.sn not in html
    html = client.get("/devices/?status=offline").content.decode()
    assert "No device matches" in html and "Clear filters" in html


def test_readonly_sees_no_bulk_bar(readonly_user, ont):
    html = client_for(readonly_user).get("/devices/").content.decode()
    assert ont.sn in html and "data-bulk-row" not in html


def test_list_query_count_does_not_grow(noc_user, tenant_a, catalogue):
    def grow(n):
        for _ in range(n):
            cpe = CpeFactory(tenant=tenant_a, model=catalogue["HL-4GMV"])
            DeviceState.objects.create(tenant=tenant_a, cpe=cpe, online=True, rx_dbm=-20.0)
            Alert.objects.create(
                tenant=tenant_a, cpe=cpe, kind="offline", severity="critical", opened=timezone.now(), message="down"
            )

    client = client_for(noc_user)
    queries = assert_constant_queries(client, "/devices/?per_page=50", grow)
    assert queries <= 10, queries


# --- detail, live panel, actions -----------------------------------------------------------------


def test_detail_shows_live_state_chart_clients_alerts_and_ticket_link(noc_user, ont):
    html = client_for(noc_user).get(f"/devices/{ont.pk}/").content.decode()
    assert "-28.40 dBm" in html  # live Rx
    assert 'id="signal-chart"' in html and '"thresholds"' in html and "Optical Rx min (-27 dBm)" in html
    assert "laptop" in html and "HOME" in html  # connected clients
    assert "Optical Rx -28.4 dBm below" in html  # open alert
    assert f"/tickets/new/?cpe={ont.pk}" in html
    assert "3d 2h" in html  # uptime


def test_detail_of_a_router_shows_wans_and_cellular_chart_empty_state(noc_user, router):
    html = client_for(noc_user).get(f"/devices/{router.pk}/").content.decode()
    assert 'id="wan-table"' in html and "10.1.2.3" in html
    assert "No samples in the last 24 hours" in html
    # Peplink has no documented factory reset: the button is there for NOC but disabled with the reason.
    assert 'disabled data-action="factory"' in html and "cannot factory-reset" in html


def test_live_panel_answers_status_with_out_of_band_panels(noc_user, ont):
    html = client_for(noc_user).get(f"/devices/{ont.pk}/live/", **HTMX).content.decode()
    assert html.lstrip().startswith("{") is False
    assert 'id="live"' in html and 'id="clients-panel" hx-swap-oob="true"' in html
    assert "<html" not in html
    # The swapped-in panel keeps polling: it is the same partial as the page.
    assert 'hx-trigger="every 5s"' not in html.split('id="clients-panel"')[1]


def test_drift_is_shown_with_the_differing_fields(noc_user, ont):
    make_action(
        ont,
        kind=ActionKind.DIAGNOSTIC,
        finished=timezone.now(),
        result={
            "drift": {
                "in_sync": False,
                "sections": 2,
                "fields": 9,
                "differences": [{"section": "wan/1", "field": "vlan_id", "desired": "100", "running": "200"}],
            }
        },
    )
    html = client_for(noc_user).get(f"/devices/{ont.pk}/").content.decode()
    assert "1 field(s) differ" in html and 'class="drift-running">200<' in html


def test_action_progress_polls_until_finished_then_answers_286(noc_user, ont):
    client = client_for(noc_user)
    running = make_action(ont, status=ActionStatus.RUNNING)
    response = client.get(f"/devices/actions/{running.pk}/progress/", **HTMX)
    assert response.status_code == 200 and 'hx-trigger="every 1s"' in response.content.decode()
    running.status = ActionStatus.SUCCEEDED
    running.save(update_fields=["status"])
    response = client.get(f"/devices/actions/{running.pk}/progress/", **HTMX)
    assert response.status_code == 286 and "hx-trigger" not in response.content.decode()
    assert response["HX-Trigger"] == "action-finished"
    # The device page's history panel reloads as a fragment.
    html = client.get(f"/devices/{ont.pk}/?panel=history", **HTMX).content.decode()
    assert html.lstrip().startswith('<div class="card" id="history"') and f"#{running.pk}" in html


def test_refused_action_explains_why(noc_user, router):
    response = client_for(noc_user).post(f"/devices/{router.pk}/actions/factory/", **HTMX)
    assert response.status_code == 200 and "cannot factory-reset" in response.content.decode()
    assert not DeviceAction.objects.exists()


# --- batches ------------------------------------------------------------------------------------


def test_bulk_bar_creates_a_batch_and_its_page_polls_until_done(noc_user, ont, router, tenant_b):
    foreign = CpeFactory(tenant=tenant_b)
    client = client_for(noc_user)
    response = client.post("/devices/actions/batches/new/", {"kind": "reboot", "cpe": [ont.pk, router.pk, foreign.pk]})
    batch = ActionBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/devices/actions/batches/{batch.pk}/"
    assert batch.total == 2 and batch.source == "ui"
    assert batch.skipped == [{"cpe": foreign.pk, "reason": "No such CPE."}]
    html = client.get(f"/devices/actions/batches/{batch.pk}/").content.decode()
    assert "0%" in html and "No such CPE." in html
    response = client.get(f"/devices/actions/batches/{batch.pk}/", **HTMX)
    assert response.status_code == 200 and 'hx-trigger="every 1s"' in response.content.decode()
    DeviceAction.objects.filter(batch=batch).update(status=ActionStatus.SUCCEEDED, finished=timezone.now())
    response = client.get(f"/devices/actions/batches/{batch.pk}/", **HTMX)
    assert response.status_code == 286 and 'data-progress="100.0"' in response.content.decode()


def test_bulk_bar_on_everything_matching_the_filters(noc_user, ont, router):
    response = client_for(noc_user).post(
        "/devices/actions/batches/new/", {"kind": "diagnostic", "all_matching": "on", "query": "family=peplink"}
    )
    batch = ActionBatch.objects.get()
    assert response.status_code == 302
    assert list(batch.actions.values_list("cpe_id", flat=True)) == [router.pk]
    assert batch.selection == {"filter": {"family": "peplink"}}


def test_actions_list_filters_and_query_count_does_not_grow(noc_user, ont):
    make_action(ont, status=ActionStatus.FAILED, error="DeviceTimeout: no answer", finished=timezone.now())
    client = client_for(noc_user)
    html = client.get("/devices/actions/?status=failed&since=60").content.decode()
    assert "DeviceTimeout" in html
    html = client.get("/devices/actions/?status=running").content.decode()
    assert "No action matches" in html

    def grow(n):
        batch = ActionBatch.objects.create(tenant=ont.tenant, kind=ActionKind.REBOOT, total=n)
        for _ in range(n):
            make_action(ont, batch=batch, requested_by=noc_user)

    assert_constant_queries(client, "/devices/actions/?per_page=100", grow)
    assert_constant_queries(client, "/devices/actions/batches/?per_page=100", grow)


# --- dashboard --------------------------------------------------------------------------------


def test_dashboard_numbers_link_to_real_filtered_pages(noc_user, ont, tenant_a):
    create_ticket(
        tenant_a, subject="No internet", description="", priority="normal", subscriber=ont.customer, by=noc_user
    )
    client = client_for(noc_user)
    html = client.get("/").content.decode()
    links = set(re.findall(r'<a class="text-reset" href="([^"]+)"', html))
    assert "/devices/alerts/" in links and "/tickets/?queue=unassigned" in links and "/billing/overdue/" in links
    for url in links:
        assert client.get(url.replace("&amp;", "&")).status_code == 200, url
    panel = client.get("/devices/alerts/panel/", **HTMX).content.decode()
    assert f"/devices/{ont.pk}/" in panel and "Optical Rx -28.4 dBm" in panel


def test_alert_panel_count_is_constant_in_queries(noc_user, ont):
    assert count_queries(client_for(noc_user), "/devices/alerts/panel/") <= 8
