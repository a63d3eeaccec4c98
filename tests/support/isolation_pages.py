"""Tenant isolation of the ticket pages: one case per URL name (see tests/pages/isolation.py)."""

from __future__ import annotations

from support.models import Ticket
from tests.billing.helpers import make_subscriber
from tests.pages.isolation import of_row
from tests.tenant_isolation import IsolatedPage, register_page


def _ticket(tenant) -> Ticket:
    return Ticket.objects.create(tenant=tenant, subject="Isolation", subscriber=make_subscriber(tenant))


register_page(IsolatedPage("tickets:list", _ticket))
# Opening a ticket names the subscriber in the query string.
register_page(IsolatedPage("tickets:create", make_subscriber, query=lambda row: {"subscriber": row.pk}))
for url_name, method, data in [
    ("tickets:detail", "GET", {}),
    ("tickets:change", "POST", {"status": "closed", "priority": "low"}),
    ("tickets:take", "POST", {}),
    ("tickets:comment", "POST", {"body": "Not yours."}),
]:
    register_page(IsolatedPage(url_name, _ticket, kwargs=of_row, method=method, data=data))
