"""Tenant isolation of the pages (dashboard, devices, subscribers, billing): one case per URL name.

Walked by tests/pages/test_page_isolation.py; tests/test_isolation_complete.py
fails when a page URL has no case here (tickets: tests/support/isolation_pages.py).
"""

from __future__ import annotations

from billing.models import BillingRun
from billing.services import run_billing
from devices.models import DeviceAction
from tests.billing.helpers import make_subscriber, subscribed
from tests.billing.isolation import _invoice, _payment
from tests.devices.factories import CpeFactory
from tests.devices.isolation_actions import _action, _batch
from tests.devices.isolation_monitoring import _alert
from tests.tenant_isolation import IsolatedAction, IsolatedPage, register_action, register_page

PERIOD = "2026-10"


def of_row(row) -> dict:
    return {"pk": row.pk}


def _cpe(tenant):
    return CpeFactory(tenant=tenant)


def _run(tenant) -> BillingRun:
    subscribed(tenant, name="Isolation")
    return BillingRun.objects.get(pk=run_billing(tenant, PERIOD).run_id)


# Lists and panels: they answer the same with and without the foreign row
# (the device list's results only: its model filter lists the shared catalogue).
for url_name, create, htmx in [
    ("dashboard", _alert, False),
    ("devices:list", _cpe, True),
    ("devices:alerts", _alert, False),
    ("devices:alerts-panel", _alert, True),
    ("devices:actions", _action, False),
    ("devices:batches", _batch, False),
    ("subscribers:list", make_subscriber, False),
    ("billing:invoices", _invoice, False),
    ("billing:invoice-list", _invoice, False),
    ("billing:overdue", _invoice, False),
    ("billing:payments", _payment, False),
    ("billing:runs", _run, False),
]:
    register_page(IsolatedPage(url_name, create, htmx=htmx))

# Pages of one row and the actions on it: 404, like a missing row.
for url_name, create, method in [
    ("devices:detail", _cpe, "GET"),
    ("devices:live", _cpe, "GET"),
    ("devices:action-detail", _action, "GET"),
    ("devices:action-progress", _action, "GET"),
    ("devices:action-cancel", _action, "POST"),
    ("devices:batch-detail", _batch, "GET"),
    ("devices:batch-cancel", _batch, "POST"),
    ("subscribers:detail", make_subscriber, "GET"),
    ("subscribers:cpes", make_subscriber, "GET"),
    ("billing:invoice", _invoice, "GET"),
    ("billing:invoice-print", _invoice, "GET"),
    ("billing:run", _run, "GET"),
    ("billing:run-progress", _run, "GET"),
]:
    register_page(IsolatedPage(url_name, create, kwargs=of_row, method=method))

register_page(
    IsolatedPage("devices:action-create", _cpe, kwargs=lambda row: {"pk": row.pk, "kind": "reboot"}, method="POST")
)
register_page(
    IsolatedPage("subscribers:status", make_subscriber, kwargs=of_row, method="POST", data={"action": "suspend"})
)
# The payment form names its subscriber in the query string.
register_page(IsolatedPage("billing:payment-create", make_subscriber, query=lambda row: {"subscriber": row.pk}))

register_action(
    IsolatedAction(
        "devices:batch-create",
        "/devices/actions/batches/new/",
        _cpe,
        payload=lambda row: {"kind": "reboot", "cpe": [row.pk]},
        untouched=lambda row: not DeviceAction.objects.filter(cpe=row).exists(),
        page=True,
    )
)
register_action(
    IsolatedAction(
        "billing:run-create",
        "/billing/runs/new/",
        lambda tenant: subscribed(tenant, name="Isolation"),
        payload=lambda row: {"period": PERIOD},
        untouched=lambda row: not BillingRun.objects.filter(tenant_id=row.tenant_id).exists(),
        page=True,
    )
)
