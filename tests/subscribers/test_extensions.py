"""subscribers.extensions: what billing and devices add to the subscriber lists, registered at ready()."""

from __future__ import annotations

import pytest

from subscribers import extensions
from subscribers.models import Subscriber
from tests.devices.factories import CpeFactory, SubscriberFactory


def test_the_higher_apps_registered_their_contributions():
    assert set(extensions._FILTERS) == {"plan"}
    assert set(extensions._SEARCHES) == {"cpes"}
    assert list(extensions._ANNOTATIONS["page"]) == ["billing", "devices"]
    assert list(extensions._ANNOTATIONS["api_v1"]) == ["billing"]
    assert set(extensions.CUSTOMER_JOINS) == {"cpes"}
    assert set(extensions.POTS_LINE_JOINS) == {"cpe"}


def test_an_unknown_list_is_refused():
    with pytest.raises(ValueError, match="list must be one of"):
        extensions.register_annotation("nowhere", "x", lambda queryset: queryset)


@pytest.mark.django_db
def test_a_filter_no_app_provides_leaves_the_list_as_it_is(tenant_a):
    subscriber = SubscriberFactory(tenant=tenant_a)
    assert list(extensions.filter_by("no-such-filter", Subscriber.objects.all(), "x")) == [subscriber]


@pytest.mark.django_db
def test_page_columns_and_cpe_search(tenant_a):
    subscriber = SubscriberFactory(tenant=tenant_a)
    CpeFactory(tenant=tenant_a, customer=subscriber, sn="HALN12345678")
    SubscriberFactory(tenant=tenant_a)
    row = extensions.annotate("page", Subscriber.objects.filter(pk=subscriber.pk)).get()
    assert (row.cpe_count, row.current_plan_code, row.balance) == (1, None, 0)
    (match,) = extensions.search_matches("n1234")
    assert list(Subscriber.objects.filter(match)) == [subscriber]
