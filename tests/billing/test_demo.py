"""The billing demo data: idempotent, copes with no subscribers, shows every state."""

import pytest

from billing import demo
from billing.models import Invoice, Payment, Plan, Subscription
from subscribers.choices import SubscriberStatus
from subscribers.models import ServiceEvent, Subscriber
from tests.billing.helpers import make_subscriber
from tests.factories import TenantFactory

pytestmark = pytest.mark.django_db


def test_no_subscribers_means_plans_only():
    tenant = TenantFactory(slug="demo")
    summary = demo.seed({"demo": tenant}, small=True)
    assert summary["demo"]["invoices"] == 0
    assert Plan.objects.filter(tenant=tenant).count() == 4
    assert not Invoice.objects.exists()


def test_seed_is_idempotent_and_shows_every_state(support_user):
    tenant = support_user.memberships.get().tenant
    tenant.slug = "demo"
    tenant.save()
    for i in range(22):
        make_subscriber(tenant, name=f"S{i}")
    first = demo.seed({"demo": tenant}, small=True)["demo"]
    assert first["subscriptions"] == 22
    assert first["invoices"] >= 22 * 3
    counts = (Subscription.objects.count(), Invoice.objects.count(), Payment.objects.count())
    again = demo.seed({"demo": tenant}, small=True)["demo"]
    assert (again["subscriptions"], again["invoices"], again["payments"]) == (0, 0, 0)
    assert counts == (Subscription.objects.count(), Invoice.objects.count(), Payment.objects.count())
    assert Invoice.objects.filter(status="paid").exists()
    assert Invoice.objects.filter(status="open").exists()
    assert ServiceEvent.objects.filter(reason="dunning").exists()
    assert tenant and SubscriberStatus.SUSPENDED in set(tenant_statuses(tenant))
    numbers = sorted(Invoice.objects.values_list("number_year", "number_seq"))
    for year in {y for y, _ in numbers}:
        seqs = [s for y, s in numbers if y == year]
        assert seqs == list(range(1, len(seqs) + 1))


def tenant_statuses(tenant):
    return Subscriber.objects.for_tenant(tenant).values_list("status", flat=True)
