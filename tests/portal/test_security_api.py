"""Issue 17, API findings written as the attacks: secrets to read-only tokens, refresh-token replay,
writable customer status, POTS writes and the CPE panel for the billing role."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from portal.choices import Role
from tests.conftest import bearer_client
from tests.devices.factories import CpeFactory
from tests.factories import PASSWORD

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
