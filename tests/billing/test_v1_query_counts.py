"""The SQL of a v1 list does not grow with its length (NetBox's pinned query counts idea)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing import services
from support.models import Ticket
from tests.billing.helpers import make_plan, pay_eur, subscribed

pytestmark = pytest.mark.django_db

LISTS = ["/api/v1/subscribers", "/api/v1/billing/invoices", "/api/v1/billing/payments", "/api/v1/support/tickets"]


def add_rows(tenant, support_user, n: int) -> None:
    plan = make_plan(tenant)
    for i in range(n):
        subscriber = subscribed(tenant, plan, name=f"Q{i}", start=date(2026, 1, 1))
        pay_eur(tenant, subscriber, "50.00", date(2026, 12, 2))
        Ticket.objects.create(tenant=tenant, subject=f"T{i}", subscriber=subscriber, assignee=support_user)
    services.run_billing(tenant, "2026-11")
    services.run_dunning(tenant)  # applies the payments: allocations to list


@pytest.mark.parametrize("url", LISTS)
def test_list_query_count_is_flat(url, api_as, admin_user, support_user, tenant_a):
    client = api_as(admin_user, tenant_a)
    add_rows(tenant_a, support_user, 2)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(url).json()["data"]) == 2
    add_rows(tenant_a, support_user, 8)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(url).json()["data"]) == 10
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
