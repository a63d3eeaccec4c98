"""The subscriber page's panel registry: every app's panels, in their columns and order, gated by role."""

from __future__ import annotations

import re

import pytest

from portal.choices import Role
from subscribers import panels
from tests.devices.factories import SubscriberFactory
from tests.pages.helpers import client_for

pytestmark = pytest.mark.django_db

SIDE = ["contact", "plan", "service-status", "balance", "ip-addresses"]
MAIN = ["cpes", "pots", "tickets", "invoices"]


def card_ids(html: str) -> list[str]:
    return re.findall(r'<div class="card mb-3" id="([\w-]+)"', html)


def test_every_app_contributes_its_panels_in_order(noc_user, tenant_a):
    subscriber = SubscriberFactory(tenant=tenant_a)
    html = client_for(noc_user).get(f"/subscribers/{subscriber.pk}/").content.decode()
    assert card_ids(html) == SIDE + MAIN


@pytest.mark.parametrize(
    ("role", "actions"),
    [
        (Role.ADMIN, ["open-ticket", "record-payment"]),
        (Role.SUPPORT, ["open-ticket"]),
        (Role.BILLING, ["record-payment"]),
        (Role.READONLY, []),
    ],
)
def test_header_actions_follow_the_role(role, actions):
    registered = sorted((p.order, p.name) for p in panels.all_panels() if p.column == "actions" and p.allowed(role))
    assert [name for _, name in registered] == actions


def test_a_panel_registers_once_and_needs_a_known_column():
    before = panels.get_panel("contact")
    panels.register(panels.Panel("contact", "Other", "x.html", lambda s, r: {}, "side"))
    assert panels.get_panel("contact") is before
    with pytest.raises(ValueError, match="column"):
        panels.register(panels.Panel("elsewhere", "Nowhere", "x.html", lambda s, r: {}, "footer"))
