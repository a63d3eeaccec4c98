"""Krill device-action endpoints: queue (202), idempotency, refusals, roles, cancel, batches, events/logs, drift.

No worker here: the request's transaction never commits in these tests, so
nothing is enqueued (the worker tests cover execution).
"""

from __future__ import annotations

import pytest

from devices.choices import ActionKind, ActionStatus
from devices.models import DeviceAction
from devices.services import ensure_catalogue
from portal.choices import Role
from tests.devices.factories import CpeFactory, ServiceProfileFactory

pytestmark = pytest.mark.django_db

PREFIXES = ("/api/v2/isp/cpes/", "/api/v2/cpes/")


@pytest.fixture
def catalogue(db):
    return ensure_catalogue()


@pytest.fixture
def ont(tenant_a, catalogue):
    return CpeFactory(
        tenant=tenant_a,
        model=catalogue["HL-4GMV"],
        management_address="127.20.0.5",
        mac="E0:67:B3:12:87:80",
        profile=ServiceProfileFactory(tenant=tenant_a),
        pppoe_password="secret-ppp",
    )


@pytest.fixture
def router(tenant_a, catalogue):
    return CpeFactory(tenant=tenant_a, model=catalogue["MAX BR1"], tech="lte", management_address="127.20.0.6")


@pytest.mark.parametrize("prefix", PREFIXES)
def test_post_queues_the_action_and_answers_202_with_its_url(api, ont, prefix, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = api.post(f"{prefix}{ont.pk}/reboot", {"params": {}}, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == ActionStatus.QUEUED and body["kind"] == "reboot" and body["cpe"] == ont.pk
    assert body["requested_by"] == "nora-noc" and body["source"] == "api"
    assert response["Location"] == body["_links"]["self"] == f"/api/v2/isp/actions/{body['id']}/"
    assert len(callbacks) == 1, "the task is enqueued once, on commit"
    assert api.get(body["_links"]["self"]).json()["id"] == body["id"]
    steps = api.get(body["_links"]["steps"]).json()
    assert steps["finished"] is False and steps["steps"][0]["message"].startswith("reboot queued by nora-noc")
    assert api.get(body["_links"]["steps"], {"since": 1}).json()["steps"] == []
    assert api.get(f"{prefix}{ont.pk}/reboot").json()["results"][0]["id"] == body["id"]
    assert [e["id"] for e in api.get(f"{prefix}{ont.pk}/events").json()["results"]] == [body["id"]]
    assert api.get(f"{prefix}{ont.pk}/events", {"type": "cdr"}).json()["count"] == 0
    logs = api.get(f"{prefix}{ont.pk}/logs").json()["results"]
    assert logs[0]["action"] == body["id"] and logs[0]["kind"] == "reboot"


def test_cwmp_diagnostic_path_queues_a_diagnostic(api, ont):
    response = api.post(f"/api/v2/cpes/{ont.pk}/cwmp_diagnostic")
    assert response.status_code == 202
    assert response.json()["kind"] == ActionKind.DIAGNOSTIC


def test_idempotency_key_returns_the_first_action(api, ont):
    first = api.post(f"/api/v2/cpes/{ont.pk}/reboot", HTTP_IDEMPOTENCY_KEY="crm-7")
    again = api.post(f"/api/v2/cpes/{ont.pk}/reboot", HTTP_IDEMPOTENCY_KEY="crm-7")
    assert first.status_code == again.status_code == 202
    assert again.json()["id"] == first.json()["id"] and again["Idempotent-Replayed"] == "true"
    assert DeviceAction.objects.filter(cpe=ont).count() == 1
    other = api.post(f"/api/v2/cpes/{ont.pk}/cwmp_diagnostic", HTTP_IDEMPOTENCY_KEY="crm-7")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_conflict"


def test_idempotency_key_of_255_characters_is_kept_whole(api, ont):
    key = "k" * 255
    response = api.post(f"/api/v2/cpes/{ont.pk}/reboot", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 202
    assert DeviceAction.objects.get(pk=response.json()["id"]).idempotency_key == key


def test_idempotency_key_over_255_characters_is_refused_not_cut(api, ont):
    response = api.post(f"/api/v2/cpes/{ont.pk}/reboot", HTTP_IDEMPOTENCY_KEY="k" * 256)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.content.decode()
    assert not DeviceAction.objects.filter(cpe=ont).exists()


@pytest.mark.parametrize(
    "setup,path,reason",
    [
        ("router", "factory", "cannot factory-reset"),
        ("disable_provision", "reprovision", "Provisioning is disabled"),
        ("disable_reconfig", "reconfig", "Reconfiguration is disabled"),
        ("no_address", "reboot", "no management address"),
        ("outside", "reboot", "outside the tenant's management networks"),
        ("no_profile", "reprovision", "no service profile"),
    ],
)
def test_what_a_cpe_cannot_do_is_refused_up_front_with_the_reason(api, ont, router, setup, path, reason):
    cpe = router if setup == "router" else ont
    changes = {
        "disable_provision": {"disable_provision": True},
        "disable_reconfig": {"disable_reconfig": True},
        "no_address": {"management_address": None},
        "outside": {"management_address": "8.8.8.8"},
        "no_profile": {"profile": None},
    }.get(setup, {})
    for name, value in changes.items():
        setattr(cpe, name, value)
    cpe.save()
    response = api.post(f"/api/v2/cpes/{cpe.pk}/{path}")
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "action_refused"
    assert reason in response.json()["detail"]
    assert not DeviceAction.objects.filter(cpe=cpe).exists()


@pytest.mark.parametrize(
    "role,allowed",
    [
        (Role.ADMIN, {"reboot", "factory", "reconfig", "reprovision", "unprovision", "cwmp_diagnostic"}),
        (Role.NOC, {"reboot", "factory", "reconfig", "reprovision", "unprovision", "cwmp_diagnostic"}),
        (Role.SUPPORT, {"reboot", "reconfig", "cwmp_diagnostic"}),
        (Role.READONLY, set()),
        (Role.BILLING, set()),
    ],
)
def test_role_map_is_enforced_on_every_action(api_as, role_users, tenant_a, ont, role, allowed):
    ont.tv_profile = None
    ont.save()
    client = api_as(role_users[role], tenant_a)
    for path in ("reboot", "factory", "reconfig", "reprovision", "unprovision", "cwmp_diagnostic"):
        response = client.post(f"/api/v2/cpes/{ont.pk}/{path}")
        expected = 202 if path in allowed else 403
        assert response.status_code == expected, (role, path, response.content)
    reading = client.get(f"/api/v2/cpes/{ont.pk}/reboot").status_code
    assert reading == (403 if role == Role.BILLING else 200)


def test_cancel_a_queued_action_and_not_twice(api, api_as, role_users, tenant_a, ont):
    factory = api.post(f"/api/v2/cpes/{ont.pk}/factory").json()
    support = api_as(role_users[Role.SUPPORT], tenant_a)
    assert support.post(factory["_links"]["cancel"]).status_code == 403  # support may not factory-reset
    response = api.post(factory["_links"]["cancel"])
    assert response.status_code == 200 and response.json()["status"] == ActionStatus.CANCELLED
    again = api.post(factory["_links"]["cancel"])
    assert again.status_code == 409 and again.json()["code"] == "action_finished"
    steps = api.get(factory["_links"]["steps"]).json()["steps"]
    assert steps[-1]["message"] == "cancelled by nora-noc before it ran"


def test_action_list_filters(api, ont, router):
    api.post(f"/api/v2/cpes/{ont.pk}/reboot")
    api.post(f"/api/v2/cpes/{router.pk}/reboot")
    api.post(f"/api/v2/cpes/{ont.pk}/cwmp_diagnostic")
    assert api.get("/api/v2/isp/actions/").json()["count"] == 3
    assert api.get("/api/v2/isp/actions/", {"cpe": ont.pk}).json()["count"] == 2
    assert api.get("/api/v2/isp/actions/", {"kind": "reboot"}).json()["count"] == 2
    assert api.get("/api/v2/isp/actions/", {"status": "queued", "cpe": router.pk}).json()["count"] == 1
    assert api.get("/api/v2/isp/actions/", {"status": "bogus"}).status_code == 400


def test_batch_by_ids_and_by_filter_with_skipped_devices(api, ont, router, tenant_a, catalogue):
    other = CpeFactory(tenant=tenant_a, model=catalogue["HL-4GMV"], management_address="127.20.0.9")
    response = api.post(
        "/api/v2/isp/action_batches/", {"kind": "factory", "cpes": [ont.pk, router.pk, other.pk, 987654]}, format="json"
    )
    assert response.status_code == 201, response.content
    batch = response.json()
    assert batch["total"] == 2
    skipped = {s["cpe"]: s["reason"] for s in batch["skipped"]}
    assert "cannot factory-reset" in skipped[router.pk] and skipped[987654] == "No such CPE."
    assert batch["progress"]["totals"]["queued"] == 2 and batch["progress"]["progress"] == 0.0
    assert api.get(batch["_links"]["actions"]).json()["count"] == 2
    cancelled = api.post(batch["_links"]["cancel"]).json()
    assert cancelled["progress"]["totals"]["cancelled"] == 2 and cancelled["progress"]["done"] is True

    by_filter = api.post(
        "/api/v2/isp/action_batches/", {"kind": "reboot", "filter": {"model": "HL-4GMV"}}, format="json"
    ).json()
    assert by_filter["total"] == 2 and by_filter["selection"] == {"filter": {"model": "HL-4GMV"}}
    assert api.get(by_filter["_links"]["self"]).json()["progress"]["total"] == 2


def test_batch_needs_the_kinds_permission_and_a_selection(api, api_as, role_users, tenant_a, ont):
    support = api_as(role_users[Role.SUPPORT], tenant_a)
    forbidden = support.post("/api/v2/isp/action_batches/", {"kind": "factory", "cpes": [ont.pk]}, format="json")
    assert forbidden.status_code == 403
    assert api.post("/api/v2/isp/action_batches/", {"kind": "reboot"}, format="json").status_code == 400
    both = api.post("/api/v2/isp/action_batches/", {"kind": "reboot", "cpes": [1], "filter": {}}, format="json")
    assert both.status_code == 400


def test_drift_link_answers_the_latest_check_and_post_queues_one(api, ont):
    assert api.get(f"/api/v2/cpes/{ont.pk}/drift").json()["drift"] is None
    queued = api.post(f"/api/v2/cpes/{ont.pk}/drift")
    assert queued.status_code == 202 and queued.json()["kind"] == ActionKind.DIAGNOSTIC
    drift = {"in_sync": False, "sections": 1, "fields": 2, "differences": [{"section": "lan", "field": "ip"}]}
    DeviceAction.objects.filter(pk=queued.json()["id"]).update(
        status=ActionStatus.SUCCEEDED, result={"drift": drift}, finished="2026-01-01T10:00:00Z"
    )
    body = api.get(f"/api/v2/isp/cpes/{ont.pk}/drift").json()
    assert body["drift"] == drift and body["action"]["id"] == queued.json()["id"]
