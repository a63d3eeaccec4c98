"""Subscriber pages: list (search as you type), detail, suspend/activate; roles, tenants, query counts."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from devices.models import DeviceState
from portal.choices import Role
from portal.roles import role_can
from subscribers.choices import ServiceEventKind, SubscriberStatus
from subscribers.models import ServiceEvent, Subscriber
from support.services import create_ticket
from tests.billing.helpers import make_plan, subscribe
from tests.devices.factories import CpeFactory, PotsLineFactory, SubscriberFactory

from .helpers import HTMX, assert_constant_queries, client_for, count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna(tenant_a):
    subscriber = SubscriberFactory(
        tenant=tenant_a, name="Anna", surname="Nowak", email="anna@example.test", phone="+48 600 100 200"
    )
    subscribe(subscriber, make_plan(tenant_a))
    return subscriber


def test_list_shows_the_tenants_subscribers_only(noc_user, anna, tenant_b):
    SubscriberFactory(tenant=tenant_b, name="Bruno", surname="Foreign")
    response = client_for(noc_user).get("/subscribers/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Nowak, Anna" in html
    assert "Foreign" not in html
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("role", list(Role))
def test_every_role_may_read_the_subscriber_pages(role_users, role, anna):
    client = client_for(role_users[role])
    assert client.get("/subscribers/").status_code == 200
    assert client.get(f"/subscribers/{anna.pk}/").status_code == 200
    # The CPE panel follows devices.view (billing never sees devices): its refresh URL answers 404 otherwise.
    expected = 200 if role_can(role, "devices.view") else 404
    assert client.get(f"/subscribers/{anna.pk}/cpes/").status_code == expected


def test_search_as_you_type_answers_the_results_fragment(noc_user, anna, tenant_a):
    SubscriberFactory(tenant=tenant_a, name="Piotr", surname="Zielinski")
    response = client_for(noc_user).get("/subscribers/?q=nowa", **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="results"')
    assert "<html" not in html
    assert "Nowak" in html and "Zielinski" not in html


def test_search_matches_every_word_and_cpe_serials(noc_user, anna, tenant_a):
    CpeFactory(tenant=tenant_a, customer=anna, sn="HALN00C0FFEE")
    SubscriberFactory(tenant=tenant_a, name="Anna", surname="Zielinska")
    client = client_for(noc_user)
    html = client.get("/subscribers/?q=anna+nowak").content.decode()
    assert "Nowak" in html and "Zielinska" not in html
    html = client.get("/subscribers/?q=c0ffee").content.decode()
    assert "Nowak" in html and "Zielinska" not in html


def test_status_filter_and_designed_empty_state(noc_user, anna, tenant_a):
    SubscriberFactory(tenant=tenant_a, name="Sus", surname="Pended", status=SubscriberStatus.SUSPENDED)
    client = client_for(noc_user)
    html = client.get("/subscribers/?status=suspended").content.decode()
    assert "Pended" in html and "Nowak" not in html
    html = client.get("/subscribers/?q=nobody-has-this-name").content.decode()
    assert "No subscriber matches" in html and "Clear filters" in html


def test_list_is_paginated_and_the_pager_keeps_the_filters(noc_user, tenant_a):
    for i in range(30):
        SubscriberFactory(tenant=tenant_a, name=f"Jan{i}", surname="Kowalski")
    html = client_for(noc_user).get("/subscribers/?q=kowalski").content.decode()
    assert "1 / 2" in html
    assert "?q=kowalski&amp;page=2" in html


def test_list_query_count_does_not_grow_with_rows(noc_user, tenant_a):
    plan = make_plan(tenant_a)

    def grow(n):
        for _ in range(n):
            subscriber = SubscriberFactory(tenant=tenant_a)
            subscribe(subscriber, plan)
            CpeFactory(tenant=tenant_a, customer=subscriber)

    assert_constant_queries(client_for(noc_user), "/subscribers/", grow)


def test_detail_shows_contact_plan_devices_lines_tickets_and_balance(noc_user, anna, tenant_a):
    cpe = CpeFactory(tenant=tenant_a, customer=anna, sn="HALN0000BEEF")
    DeviceState.objects.create(tenant=tenant_a, cpe=cpe, online=True, last_seen=timezone.now(), rx_dbm=-19.5)
    PotsLineFactory(tenant=tenant_a, cpe=cpe, order=1, lineid="line-anna-1", cli="+48123456789")
    create_ticket(tenant_a, subject="Slow Wi-Fi upstairs", subscriber=anna, by=noc_user)
    html = client_for(noc_user).get(f"/subscribers/{anna.pk}/").content.decode()
    for expected in (
        "anna@example.test",
        "+48 600 100 200",
        "Fibre 100",
        "HALN0000BEEF",
        'data-cpe-state="online"',
        "Rx -19.5 dBm",
        "line-anna-1",
        "Slow Wi-Fi upstairs",
        "Balance",
    ):
        assert expected in html, expected


def test_a_never_polled_cpe_says_so(noc_user, anna, tenant_a):
    CpeFactory(tenant=tenant_a, customer=anna)
    html = client_for(noc_user).get(f"/subscribers/{anna.pk}/cpes/", **HTMX).content.decode()
    assert html.lstrip().startswith('<div class="card mb-3" id="cpes"')
    assert 'data-cpe-state="unknown"' in html


def test_detail_query_count_does_not_grow_with_devices_and_tickets(noc_user, anna, tenant_a):
    def grow(n):
        for i in range(n):
            cpe = CpeFactory(tenant=tenant_a, customer=anna)
            DeviceState.objects.create(tenant=tenant_a, cpe=cpe, online=bool(i % 2), last_seen=timezone.now())
            PotsLineFactory(tenant=tenant_a, cpe=cpe, order=1)
            create_ticket(tenant_a, subject=f"Ticket {i}", subscriber=anna, cpe=cpe)

    assert_constant_queries(client_for(noc_user), f"/subscribers/{anna.pk}/", grow, small=2, large=12)


def test_another_tenants_subscriber_is_not_found(noc_user, tenant_b):
    foreign = SubscriberFactory(tenant=tenant_b)
    client = client_for(noc_user)
    assert client.get(f"/subscribers/{foreign.pk}/").status_code == 404
    assert client.get(f"/subscribers/{foreign.pk}/cpes/").status_code == 404
    assert client.post(f"/subscribers/{foreign.pk}/status/", {"action": "suspend"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == SubscriberStatus.ACTIVE


@pytest.mark.parametrize(
    ("role", "suspend", "open_ticket", "record_payment"),
    [
        (Role.ADMIN, True, True, True),
        (Role.NOC, True, True, False),
        (Role.SUPPORT, False, True, False),
        (Role.BILLING, True, False, True),
        (Role.READONLY, False, False, False),
    ],
)
def test_detail_shows_only_the_actions_the_role_allows(role_users, anna, role, suspend, open_ticket, record_payment):
    html = client_for(role_users[role]).get(f"/subscribers/{anna.pk}/").content.decode()
    assert ('data-action="suspend"' in html) is suspend
    assert ("Open ticket" in html) is open_ticket
    assert ("Record payment" in html) is record_payment


def test_noc_suspends_and_activates_through_the_service(noc_user, anna):
    client = client_for(noc_user)
    response = client.post(f"/subscribers/{anna.pk}/status/", {"action": "suspend", "detail": "fraud check"})
    assert response.status_code == 302
    anna.refresh_from_db()
    assert anna.status == SubscriberStatus.SUSPENDED
    event = ServiceEvent.objects.get(subscriber=anna)
    assert event.kind == ServiceEventKind.SUSPEND and event.detail == "fraud check"
    assert event.triggered_by == noc_user
    page = client.get(response["Location"]).content.decode()
    assert "is now suspended" in page and 'data-action="activate"' in page
    client.post(f"/subscribers/{anna.pk}/status/", {"action": "activate"})
    anna.refresh_from_db()
    assert anna.status == SubscriberStatus.ACTIVE


def test_an_invalid_transition_is_explained(noc_user, anna):
    Subscriber.objects.filter(pk=anna.pk).update(status=SubscriberStatus.INACTIVE)
    client = client_for(noc_user)
    response = client.post(f"/subscribers/{anna.pk}/status/", {"action": "suspend"}, follow=True)
    assert "cannot be suspended" in response.content.decode()


@pytest.mark.parametrize("role", [Role.SUPPORT, Role.READONLY])
def test_a_forged_suspend_is_refused(role_users, role, anna):
    response = client_for(role_users[role]).post(f"/subscribers/{anna.pk}/status/", {"action": "suspend"})
    assert response.status_code == 403
    anna.refresh_from_db()
    assert anna.status == SubscriberStatus.ACTIVE
    assert not ServiceEvent.objects.exists()


def test_pages_need_a_login(anna):
    response = Client().get("/subscribers/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_empty_tenant_shows_the_designed_empty_state(noc_user):
    html = client_for(noc_user).get("/subscribers/").content.decode()
    assert "No subscribers yet" in html


def test_list_counts_are_few(noc_user, anna):
    # A guard against a page that grows a query per panel: the list is cheap.
    assert count_queries(client_for(noc_user), "/subscribers/") <= 8


@pytest.mark.parametrize("role", list(Role))
def test_the_pots_panel_names_the_lines_device_only_to_roles_that_see_devices(role_users, role, anna, tenant_a):
    """Billing reads a subscriber's phone lines, not the device they are on (as with the CPE panel)."""
    cpe = CpeFactory(tenant=tenant_a, customer=anna, cpename="ont-upstairs-77", sn="HALN0000F00D")
    PotsLineFactory(tenant=tenant_a, cpe=cpe, order=1, lineid="line-anna-9", cli="+48221234567")
    client = client_for(role_users[role])
    html = client.get(f"/subscribers/{anna.pk}/").content.decode()
    pots = html[html.index('id="pots"') :]
    pots = pots[: pots.index("</table>")]
    assert "line-anna-9" in pots and "+48221234567" in pots
    sees_devices = role_can(role, "devices.view")
    assert ("ont-upstairs-77" in html) is sees_devices
    assert ("HALN0000F00D" in html) is sees_devices
    assert ('<th scope="col">Device</th>' in pots) is sees_devices
