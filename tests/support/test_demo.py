"""The support demo data: idempotent, copes with no subscribers, shows every ticket status."""

import pytest

from support import demo
from support.choices import TicketStatus
from support.models import Ticket, TicketComment
from tests.billing.helpers import make_subscriber
from tests.factories import TenantFactory

pytestmark = pytest.mark.django_db


def test_no_subscribers_means_no_tickets():
    tenant = TenantFactory(slug="demo")
    assert demo.seed({"demo": tenant}, small=True) == {"demo": {"tickets": 0}}
    assert not Ticket.objects.exists()


def test_seed_is_idempotent_and_shows_every_status(support_user):
    tenant = support_user.memberships.get().tenant
    for i in range(12):
        make_subscriber(tenant, name=f"S{i}")
    first = demo.seed({"demo": tenant}, small=True)["demo"]
    assert first["tickets"] == len(demo.SCRIPTS)
    counts = (Ticket.objects.count(), TicketComment.objects.count())
    assert demo.seed({"demo": tenant}, small=True)["demo"]["tickets"] == 0
    assert counts == (Ticket.objects.count(), TicketComment.objects.count())
    assert set(Ticket.objects.values_list("status", flat=True)) == set(TicketStatus.values)
    assert Ticket.objects.filter(assignee=support_user).exists()
