"""The role map: what each role may do, as NOC staff would expect."""

import pytest

from devices.actions.kinds import KINDS, register_permissions
from portal.choices import Role
from portal.roles import DEVICE_ACTIONS, PERMISSIONS, allowed_actions, role_can
from subscribers.api.v2 import PotsLineViewSet
from subscribers.panels import get_panel


def test_every_role_has_an_entry():
    assert set(PERMISSIONS) == set(Role.values)


def test_device_actions_come_from_the_devices_record_in_krills_order():
    assert DEVICE_ACTIONS == ["reboot", "factory", "reconfig", "reprovision", "unprovision", "diagnostic"]
    assert list(KINDS) == DEVICE_ACTIONS


def test_registering_the_kinds_again_changes_nothing():
    before = dict(PERMISSIONS), list(DEVICE_ACTIONS)
    register_permissions()
    assert (dict(PERMISSIONS), list(DEVICE_ACTIONS)) == before


def test_admin_may_do_everything():
    assert allowed_actions(Role.ADMIN) == list(DEVICE_ACTIONS)
    assert role_can(Role.ADMIN, "tenant.change")


def test_noc_runs_every_device_action_but_not_billing():
    assert allowed_actions(Role.NOC) == list(DEVICE_ACTIONS)
    assert role_can(Role.NOC, "billing.view")
    assert not role_can(Role.NOC, "billing.change")


def test_support_cannot_factory_reset_or_unprovision():
    assert role_can(Role.SUPPORT, "devices.action.reboot")
    assert not role_can(Role.SUPPORT, "devices.action.factory")
    assert not role_can(Role.SUPPORT, "devices.action.unprovision")
    assert not role_can(Role.SUPPORT, "devices.action.reprovision")
    assert allowed_actions(Role.SUPPORT) == ["reboot", "reconfig", "diagnostic"]
    assert role_can(Role.SUPPORT, "tickets.change")
    assert not role_can(Role.SUPPORT, "subscribers.change")


def test_billing_cannot_touch_devices():
    assert not role_can(Role.BILLING, "devices.view")
    assert not role_can(Role.BILLING, "devices.change")
    assert allowed_actions(Role.BILLING) == []
    assert role_can(Role.BILLING, "billing.change")


@pytest.mark.parametrize("permission", sorted(set().union(*PERMISSIONS.values())))
def test_readonly_never_writes(permission):
    allowed = role_can(Role.READONLY, permission)
    assert allowed == (permission.endswith(".view") and not permission.startswith("tenant."))


def test_unknown_role_grants_nothing():
    assert not role_can("janitor", "subscribers.view")
    assert not role_can(None, "subscribers.view")


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.NOC, Role.SUPPORT, Role.BILLING, Role.READONLY])
def test_gate_enforces_the_map_on_api_routes(role, role_users, api_as, tenant_a):
    # Managing API clients is tenant administration: admin only.
    response = api_as(role_users[role], tenant_a).get("/api/v2/auth/clients/")
    assert response.status_code == 403
    assert "does not allow tenant.view" in response.json()["detail"]


@pytest.mark.django_db
def test_gate_lets_admin_through(admin_user, api_as, tenant_a):
    assert api_as(admin_user, tenant_a).get("/api/v2/auth/clients/").status_code == 200


def test_pots_writes_need_device_rights_on_the_api():
    # A POTS line is rendered into device configuration (issue 17): its writes ask devices.change.
    assert not role_can(Role.BILLING, "devices.change") and role_can(Role.BILLING, "subscribers.change")
    assert set(PotsLineViewSet.action_permissions) == {"create", "update", "partial_update", "destroy"}
    assert set(PotsLineViewSet.action_permissions.values()) == {"devices.change"}


def test_the_subscriber_pages_cpe_panel_follows_devices_view():
    panel = get_panel("cpes")
    assert panel is not None and panel.permission == "devices.view"
    assert not panel.allowed(Role.BILLING)
    assert all(panel.allowed(role) for role in (Role.ADMIN, Role.NOC, Role.SUPPORT, Role.READONLY))
