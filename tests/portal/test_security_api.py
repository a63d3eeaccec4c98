"""Issue 17, API findings written as the attacks: secrets to read-only tokens, refresh-token replay,
writable customer status, POTS writes and the CPE panel for the billing role."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from portal.choices import Role
from portal.roles import role_can
from subscribers.choices import ServiceEventKind, SubscriberStatus
from subscribers.models import ServiceEvent, Subscriber
from tests.conftest import bearer_client
from tests.devices.factories import CpeFactory, PotsLineFactory, SubscriberFactory
from tests.factories import PASSWORD
from tests.pages.helpers import client_for

pytestmark = pytest.mark.django_db

ME = "/api/v2/me"


# ---------------------------------------------------------------------------
# show_secrets needs the write scope and devices.change (issue 17 finding 4)
# ---------------------------------------------------------------------------


def test_read_only_token_cannot_read_secrets_in_clear(integration_ro, tenant_a):
    # The client's role is admin: only the token's scope stands between it and the password.
    cpe = CpeFactory(tenant=tenant_a, pppoe_password="ppp-secret")
    client = bearer_client(integration_ro.token.access)
    url = f"/api/v2/isp/cpes/{cpe.pk}/?show_secrets=yes&attrs=id,pppoe_password"
    response = client.get(url)
    assert response.status_code == 403
    assert "write" in response.json()["detail"] and "ppp-secret" not in response.content.decode()
    # Without show_secrets the read-only token still reads the record, masked.
    masked = client.get(f"/api/v2/isp/cpes/{cpe.pk}/?attrs=id,pppoe_password")
    assert masked.status_code == 200 and masked.json()["pppoe_password"] != "ppp-secret"


def test_write_token_with_device_rights_reads_secrets(integration_rw, tenant_a):
    cpe = CpeFactory(tenant=tenant_a, pppoe_password="ppp-secret")
    response = bearer_client(integration_rw.token.access).get(
        f"/api/v2/isp/cpes/{cpe.pk}/?show_secrets=yes&attrs=id,pppoe_password"
    )
    assert response.status_code == 200 and response.json()["pppoe_password"] == "ppp-secret"


@pytest.mark.parametrize("role", [Role.SUPPORT, Role.READONLY])
def test_write_token_without_device_rights_cannot_read_secrets(role, role_users, api_as, tenant_a):
    cpe = CpeFactory(tenant=tenant_a, pppoe_password="ppp-secret")
    response = api_as(role_users[role], tenant_a).get(f"/api/v2/isp/cpes/{cpe.pk}/?show_secrets=1")
    assert response.status_code == 403 and "ppp-secret" not in response.content.decode()


# ---------------------------------------------------------------------------
# A replayed refresh token revokes its whole family (issue 17 finding 8)
# ---------------------------------------------------------------------------


def _login(user) -> dict:
    response = APIClient().post("/api/v2/auth/login", {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    return response.json()


def _refresh(raw: str):
    return APIClient().post("/api/v2/auth/refresh", {"refresh": raw}, format="json")


def test_replaying_a_used_refresh_token_revokes_the_family(noc_user):
    a = _login(noc_user)
    b = _refresh(a["refresh"]).json()  # A → B: the legitimate rotation
    c = _refresh(b["refresh"]).json()  # B → C: the family grows
    assert bearer_client(c["access"]).get(ME).status_code == 200
    replay = _refresh(a["refresh"])  # someone else held A
    assert replay.status_code == 401 and replay.json()["code"] == "token_not_valid"
    # Every token descended from that login is dead now.
    assert bearer_client(c["access"]).get(ME).status_code == 401
    assert _refresh(c["refresh"]).status_code == 401
    assert bearer_client(b["access"]).get(ME).status_code == 401


def test_replay_of_the_direct_predecessor_kills_the_newer_pair(noc_user):
    a = _login(noc_user)
    b = _refresh(a["refresh"]).json()
    assert _refresh(a["refresh"]).status_code == 401
    assert bearer_client(b["access"]).get(ME).status_code == 401
    assert _refresh(b["refresh"]).status_code == 401


def test_replay_leaves_other_logins_alone(noc_user):
    a = _login(noc_user)
    other = _login(noc_user)  # a second session: its own family
    _refresh(a["refresh"])
    assert _refresh(a["refresh"]).status_code == 401
    assert bearer_client(other["access"]).get(ME).status_code == 200
    assert _refresh(other["refresh"]).status_code == 200


# ---------------------------------------------------------------------------
# A customer's status changes only through the status service (issue 17 finding 3)
# ---------------------------------------------------------------------------


def test_billing_cannot_suspend_through_a_v2_customer_write(role_users, api_as, tenant_a):
    subscriber = SubscriberFactory(tenant=tenant_a)
    billing = api_as(role_users[Role.BILLING], tenant_a)
    response = billing.patch(f"/api/v2/isp/customers/{subscriber.pk}/", {"status": "suspended"}, format="json")
    assert response.status_code == 400
    assert "/activate" in response.json()["errors"]["status"][0]
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.ACTIVE
    assert not ServiceEvent.objects.filter(subscriber=subscriber).exists()


def test_a_forbidden_transition_cannot_be_written_either(api, tenant_a):
    # inactive → suspended is refused by the service; v2 must not be a way around it.
    subscriber = SubscriberFactory(tenant=tenant_a, status=SubscriberStatus.INACTIVE)
    url = f"/api/v2/isp/customers/{subscriber.pk}/"
    assert api.put(url, {"name": "X", "status": "suspended"}, format="json").status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.INACTIVE


def test_a_new_customer_cannot_start_suspended(api, tenant_a):
    response = api.post("/api/v2/isp/customers/", {"name": "New", "status": "suspended"}, format="json")
    assert response.status_code == 400 and "status" in response.json()["errors"]
    assert not Subscriber.objects.filter(name="New").exists()


def test_echoing_the_status_back_round_trips(api, tenant_a):
    subscriber = SubscriberFactory(tenant=tenant_a, status=SubscriberStatus.SUSPENDED)
    url = f"/api/v2/isp/customers/{subscriber.pk}/"
    body = api.get(url, {"attrs": "id,name,surname,status"}).json()
    body["surname"] = "Kowalska"
    response = api.put(url, body, format="json")
    assert response.status_code == 200, response.content
    subscriber.refresh_from_db()
    assert (subscriber.surname, subscriber.status) == ("Kowalska", SubscriberStatus.SUSPENDED)


def test_v1_status_stays_read_only_and_the_service_path_records_the_event(admin_user, api_as, tenant_a):
    subscriber = SubscriberFactory(tenant=tenant_a)
    client = api_as(admin_user, tenant_a)
    url = f"/api/v1/subscribers/{subscriber.pk}"
    assert client.patch(url, {"status": "suspended"}, format="json").json()["data"]["status"] == "active"
    assert client.post(f"{url}/suspend").json()["data"]["status"] == "suspended"
    assert ServiceEvent.objects.filter(subscriber=subscriber, kind=ServiceEventKind.SUSPEND).count() == 1


# ---------------------------------------------------------------------------
# POTS lines are device configuration; the CPE panel is device detail (issue 17 findings 6, 7)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_pots_writes_need_device_rights(role, role_users, api_as, tenant_a):
    cpe = CpeFactory(tenant=tenant_a)
    line = PotsLineFactory(tenant=tenant_a, cpe=cpe, order=1, cli="+48 58 000 00 01")
    client = api_as(role_users[role], tenant_a)
    may = role_can(role, "devices.change")
    created = client.post("/api/v2/isp/potses/", {"cpe": cpe.pk, "cli": "+48 58 000 00 02"}, format="json")
    assert created.status_code == (201 if may else 403), created.content
    edited = client.patch(f"/api/v2/isp/potses/{line.pk}/", {"cli": "+48 58 999 99 99"}, format="json")
    assert edited.status_code == (200 if may else 403)
    line.refresh_from_db()
    assert (line.cli == "+48 58 999 99 99") == may
    # Reading stays with subscribers.view.
    assert client.get(f"/api/v2/isp/potses/{line.pk}/").status_code == 200


def test_billing_page_has_no_cpe_panel(role_users, tenant_a):
    subscriber = SubscriberFactory(tenant=tenant_a)
    CpeFactory(tenant=tenant_a, customer=subscriber, sn="HALN0000F00D")
    billing = client_for(role_users[Role.BILLING])
    page = billing.get(f"/subscribers/{subscriber.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="cpes"' not in html and "data-cpe-state" not in html
    assert billing.get(f"/subscribers/{subscriber.pk}/cpes/").status_code == 404
    noc = client_for(role_users[Role.NOC]).get(f"/subscribers/{subscriber.pk}/").content.decode()
    assert 'id="cpes"' in noc and "HALN0000F00D" in noc
