"""Issue 17 finding 5, as the attack: a misspelt filter key or an unconfirmed destructive batch must not hit the fleet.

No worker here: nothing is enqueued (the request's transaction never commits in these tests).
"""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from devices.actions.request import BatchNotConfirmed, request_batch
from devices.models import ActionBatch, Cpe, DeviceAction
from devices.services import ensure_catalogue
from tests.devices.factories import CpeFactory
from tests.pages.helpers import client_for

pytestmark = pytest.mark.django_db

BATCHES = "/api/v2/isp/action_batches/"
PAGE = "/devices/actions/batches/new/"


@pytest.fixture
def fleet(tenant_a):
    """Twelve ONTs: more than the default NOC_BATCH_CONFIRM_OVER (10)."""
    model = ensure_catalogue()["HL-4GMV"]
    return [CpeFactory(tenant=tenant_a, model=model, management_address=f"127.20.1.{i + 1}") for i in range(12)]


def test_a_misspelt_filter_key_is_a_400_listing_the_allowed_ones(api, fleet):
    response = api.post(BATCHES, {"kind": "diagnostic", "filter": {"modle": "X"}}, format="json")
    assert response.status_code == 400
    message = response.json()["errors"]["filter"][0]
    assert "modle" in message and "model" in message and "family" in message
    assert not ActionBatch.objects.exists() and not DeviceAction.objects.exists()


def test_known_filter_keys_still_work(api, fleet):
    response = api.post(BATCHES, {"kind": "diagnostic", "filter": {"model": "HL-4GMV"}}, format="json")
    assert response.status_code == 201 and response.json()["total"] == 12


def test_factory_over_many_devices_without_the_count_is_refused(api, fleet):
    response = api.post(BATCHES, {"kind": "factory", "filter": {"model": "HL-4GMV"}}, format="json")
    assert response.status_code == 400
    message = response.json()["errors"]["confirm_count"][0]
    assert "12 devices" in message and "confirm_count=12" in message
    assert not ActionBatch.objects.exists() and not DeviceAction.objects.exists()


@pytest.mark.parametrize("kind", ["factory", "unprovision"])
def test_a_wrong_count_is_refused_and_the_right_one_runs(api, fleet, kind):
    wrong = api.post(BATCHES, {"kind": kind, "filter": {}, "confirm_count": 11}, format="json")
    assert wrong.status_code == 400 and "11 was given" in wrong.json()["errors"]["confirm_count"][0]
    right = api.post(BATCHES, {"kind": kind, "filter": {}, "confirm_count": 12}, format="json")
    assert right.status_code == 201, right.content


def test_a_safe_kind_or_a_small_selection_needs_no_count(api, fleet):
    assert api.post(BATCHES, {"kind": "reboot", "filter": {}}, format="json").status_code == 201
    few = [c.pk for c in fleet[:10]]
    assert api.post(BATCHES, {"kind": "factory", "cpes": few}, format="json").status_code == 201


def test_the_threshold_is_a_setting(api, fleet, settings):
    settings.NOC_BATCH_CONFIRM_OVER = 1
    two = [c.pk for c in fleet[:2]]
    assert api.post(BATCHES, {"kind": "factory", "cpes": two}, format="json").status_code == 400
    assert api.post(BATCHES, {"kind": "factory", "cpes": two, "confirm_count": 2}, format="json").status_code == 201


def test_request_batch_itself_refuses(tenant_a, fleet):
    with pytest.raises(BatchNotConfirmed):
        request_batch(tenant_a, "factory", Cpe.objects.filter(pk__in=[c.pk for c in fleet]))
    assert not ActionBatch.objects.exists()


def test_the_bulk_bar_sends_the_count_and_is_refused_without_it(noc_user, fleet):
    client = client_for(noc_user)
    body = {"kind": "factory", "all_matching": "on", "query": "family=halny"}
    refused = client.post(PAGE, body)
    assert refused.status_code == 302 and not ActionBatch.objects.exists()
    shown = [str(m) for m in get_messages(refused.wsgi_request)]
    assert any("confirm_count=12" in m for m in shown), shown
    accepted = client.post(PAGE, {**body, "confirm_count": "12"})
    batch = ActionBatch.objects.get()
    assert accepted["Location"] == f"/devices/actions/batches/{batch.pk}/" and batch.total == 12


def test_the_device_list_carries_the_count_field(noc_user, fleet):
    html = client_for(noc_user).get("/devices/").content.decode()
    assert 'name="confirm_count"' in html and "data-bulk-confirm-count-field" in html
