"""Krill v2 CRM API: every example request of the seed replayed, plus writes, validation, secrets and links."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client, override_settings

from devices.models import Cpe
from portal.choices import Role
from portal.secrets import MASK as SECRET_MASK
from subscribers.models import PotsLine, Subscriber
from tests.devices import krill_seed
from tests.devices.factories import CpeFactory, DeviceModelFactory, PotsLineFactory, SubscriberFactory

pytestmark = pytest.mark.django_db

SEED_HOST = "pre1:4280"


@pytest.fixture
def seed(tenant_a):
    return krill_seed.build(tenant_a)


@pytest.fixture
def seed_settings():
    with override_settings(TIME_ZONE=krill_seed.SEED_TIME_ZONE, ALLOWED_HOSTS=["*"]):
        yield


# ---------------------------------------------------------------------------
# The seed's examples, field by field
# ---------------------------------------------------------------------------


def assert_same_record(got: dict, expected: dict, path: str = "") -> None:
    """Same keys in the same order and the same values, reported field by field."""
    assert list(got) == list(expected), f"{path or 'record'}: keys differ"
    for key, value in expected.items():
        if isinstance(value, dict):
            assert_same_record(got[key], value, f"{path}.{key}")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            assert len(got[key]) == len(value), f"{path}.{key}: length"
            for i, (g, e) in enumerate(zip(got[key], value, strict=True)):
                assert_same_record(g, e, f"{path}.{key}[{i}]")
        else:
            assert got[key] == value, f"{path}.{key}: {got[key]!r} != {value!r}"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/api/v2/isp/cpes/?sn=0000deadbeef0000", krill_seed.SEED_LIST_BY_SN),
        ("/api/v2/isp/cpes/74/?attrs=id,cpename", krill_seed.SEED_ATTRS),
        ("/api/v2/isp/cpes/74/?attrs=id&joins==customer,potses", krill_seed.SEED_JOINS),
        ("/api/v2/isp/cpes/?attrs=id&offset=42&limit=3", krill_seed.SEED_PAGE),
    ],
    ids=["by-sn", "attrs", "attrs-joins", "pagination"],
)
def test_seed_examples(api, seed, seed_settings, url, expected):
    response = api.get(url, HTTP_HOST=SEED_HOST)
    assert response.status_code == 200, response.content
    assert_same_record(response.json(), expected)


def test_seed_links_resolve(api, seed):
    """Every data link of the seed's CPE answers; the ones not built yet answer 501 without fake data."""
    record = api.get("/api/v2/isp/cpes/350/").json()
    data_links = {"customer", "potses", "model", "profile", "links", "info", "livestatus", "events", "cdrs", "logs"}
    for name, url in record["_links"]["links"].items():
        response = api.get(url)
        if name in data_links:
            assert response.status_code == 200, (name, response.content)
        else:
            assert response.status_code == 501, (name, response.content)
            assert response.json()["code"] == "not_implemented"
            assert "not available yet" in response.json()["detail"]
    for name, url in record["_links"]["actions"].items():
        # GET lists the CPE's actions of that kind; POST queues one (the seed CPE has no
        # management address, so it is refused up front with the reason).
        assert api.get(url).status_code == 200, (name, api.get(url).content)
        response = api.post(url)
        assert response.status_code == 409, (name, response.content)
        assert response.json()["code"] == "action_refused"


def test_link_payloads(api, seed):
    assert api.get("/api/v2/cpes/350/customer").json()["id"] == 27
    assert api.get("/api/v2/cpes/350/model").json()["name"] == "HG8245H"
    assert api.get("/api/v2/cpes/350/profile").json()["id"] == 7
    assert api.get("/api/v2/cpes/350/links").json() == krill_seed.links(350)
    potses = api.get("/api/v2/isp/cpes/74/potses/").json()
    assert [p["lineid"] for p in potses["results"]] == ["pim0074-1", "pim0074-2"]
    info = api.get("/api/v2/cpes/350/info").json()
    assert info["sn"] == "0000deadbeef0000" and info["_services"] == ["provision", "txrx", "dhcp", "tr069"]
    # A CPE without customer/profile says so (404), not an empty record.
    assert api.get("/api/v2/cpes/37/customer").status_code == 404
    assert api.get("/api/v2/cpes/37/profile").status_code == 404


def test_joins_on_list_and_with_full_record(api, seed):
    body = api.get("/api/v2/isp/cpes/", {"joins": "customer,potses", "limit": 200}).json()
    by_id = {r["id"]: r for r in body["results"]}
    assert by_id[74]["customer"]["surname"] == "Trotamundos"
    assert [p["id"] for p in by_id[74]["potses"]] == [138, 139]
    assert by_id[37]["customer"] is None and by_id[37]["potses"] == []
    assert "_links" in by_id[74]  # no attrs: the full record plus the joins


def test_customer_and_pots_resources(api, seed):
    customer = api.get("/api/v2/isp/customers/65/").json()
    assert_same_record(
        customer, {**krill_seed.SEED_JOINS["customer"], "created": customer["created"], "updated": customer["updated"]}
    )
    joined = api.get("/api/v2/isp/customers/65/", {"joins": "cpes", "attrs": "id"}).json()
    assert [c["id"] for c in joined["cpes"]] == [74]
    lines = api.get("/api/v2/isp/potses/", {"cpe": 74}).json()
    assert lines["count"] == 2 and lines["results"][0]["cpe"] == 74
    assert api.get("/api/v2/isp/potses/138/", {"joins": "cpe", "attrs": "id"}).json()["cpe"]["cpename"] == "pim0074"


def test_extensions_only_on_request(api, tenant_a):
    subscriber = SubscriberFactory(tenant=tenant_a, email="ana@example.es", phone="+34 600 000 000")
    body = api.get(f"/api/v2/isp/customers/{subscriber.pk}/").json()
    assert "email" not in body and "status" not in body
    body = api.get(f"/api/v2/isp/customers/{subscriber.pk}/", {"attrs": "id,email,status"}).json()
    assert body == {"email": "ana@example.es", "id": subscriber.pk, "status": "active"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"attrs": "id,bogus"}, "attrs"),
        ({"joins": "bogus"}, "joins"),
    ],
)
def test_unknown_attrs_or_joins_are_400(api, seed, params, field):
    response = api.get("/api/v2/isp/cpes/", params)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert "bogus" in response.json()["detail"]


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({"sn": "0000deadbeef0000"}, 1),
        ({"customer": 65}, 1),
        ({"cpename": "pim0074"}, 1),
        ({"model": "HG8245H"}, 158),
        ({"model": "X6"}, 0),
        ({"realm": "pim"}, 158),
        ({"realm": "other"}, 0),
        ({"active": "true"}, 158),
        ({"active": "false"}, 0),
        ({"tech": "gpon"}, 158),
        ({"topology": ""}, 158),
        ({"external_id": "nope"}, 0),
        ({"profile": 7}, 1),
        ({"family": "halny"}, 158),
    ],
)
def test_cpe_filters(api, seed, params, count):
    response = api.get("/api/v2/isp/cpes/", {**params, "attrs": "id"})
    assert response.status_code == 200, response.content
    assert response.json()["count"] == count


def test_customer_filters(api, seed):
    assert api.get("/api/v2/isp/customers/", {"surname": "Trotamundos"}).json()["count"] == 1
    assert api.get("/api/v2/isp/customers/", {"realm": "pim"}).json()["count"] == 2
    assert api.get("/api/v2/isp/customers/", {"status": "suspended"}).json()["count"] == 0


# ---------------------------------------------------------------------------
# Writes
# ---------------------------------------------------------------------------


def test_create_cpe_generates_krill_names(api, tenant_a):
    model = DeviceModelFactory()
    customer = SubscriberFactory(tenant=tenant_a)
    response = api.post(
        "/api/v2/isp/cpes/",
        {"sn": "HALN00C0FFEE", "model": model.name, "customer": customer.pk, "mac": "e067b3aabbcc"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["cpename"] == f"{tenant_a.realm}{body['id']:04d}"
    assert body["internal_id"] == body["cpename"]
    assert body["tech"] == "gpon" and body["mac"] == "E0:67:B3:AA:BB:CC"
    assert body["_links"]["actions"]["reboot"] == f"/api/v2/cpes/{body['id']}/reboot"
    assert "management_address" not in body
    assert Cpe.objects.get(pk=body["id"]).tenant_id == tenant_a.pk


def test_update_and_delete_cpe(api, tenant_a):
    cpe = CpeFactory(tenant=tenant_a)
    body = api.get(f"/api/v2/isp/cpes/{cpe.pk}/").json()
    body["notes"] = "moved to the attic"
    response = api.put(f"/api/v2/isp/cpes/{cpe.pk}/", body, format="json")  # GET → edit → PUT round-trips
    assert response.status_code == 200, response.content
    assert response.json()["notes"] == "moved to the attic"
    response = api.patch(f"/api/v2/isp/cpes/{cpe.pk}/", {"tech": "ethernet"}, format="json")
    assert response.status_code == 200 and response.json()["tech_updated"] is not None
    assert api.delete(f"/api/v2/isp/cpes/{cpe.pk}/").status_code == 204
    assert not Cpe.objects.filter(pk=cpe.pk).exists()


def test_customer_crud(api, tenant_a):
    response = api.post(
        "/api/v2/isp/customers/",
        {"name": "Zofia", "surname": "Nowak", "city": "Gdańsk", "latitude": 54.3520252, "email": "z@example.pl"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["realm"] == tenant_a.realm and body["latitude"] == 54.352025
    assert "email" not in body
    assert Subscriber.objects.get(pk=body["id"]).email == "z@example.pl"
    # status is read-only in v2: the status service (v1 activate/suspend) changes it.
    assert api.patch(f"/api/v2/isp/customers/{body['id']}/", {"status": "suspended"}, format="json").status_code == 400
    assert Subscriber.objects.get(pk=body["id"]).status == "active"
    assert api.delete(f"/api/v2/isp/customers/{body['id']}/").status_code == 204


def test_create_pots_line_generates_lineid(api, tenant_a):
    cpe = CpeFactory(tenant=tenant_a, cpename="alp0074")
    first = api.post("/api/v2/isp/potses/", {"cpe": cpe.pk}, format="json")
    second = api.post("/api/v2/isp/potses/", {"cpe": cpe.pk, "password": "s3cret"}, format="json")
    assert first.status_code == 201 and second.status_code == 201, (first.content, second.content)
    assert (first.json()["lineid"], second.json()["lineid"]) == ("alp0074-1", "alp0074-2")
    assert second.json()["password"] == SECRET_MASK
    duplicate = api.post("/api/v2/isp/potses/", {"cpe": cpe.pk, "order": 1}, format="json")
    assert duplicate.status_code == 400 and "order" in duplicate.json()["errors"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"sn": "X1", "model": "HL-4GMV", "customer": 999999}, "customer"),
        ({"sn": "X1", "model": "NO-SUCH-MODEL"}, "model"),
        ({"model": "HL-4GMV"}, "sn"),
        ({"sn": "X1", "model": "HL-4GMV", "colour": "red"}, "colour"),
        ({"sn": "X1", "model": "HL-4GMV", "mac": "not-a-mac"}, "mac"),
        ({"sn": "X1", "model": "HL-4GMV", "lan_cidr": "192.168.1.300/24"}, "lan_cidr"),
        ({"sn": "X1", "model": "HL-4GMV", "profile": 999999}, "profile"),
    ],
    ids=["unknown-customer", "unknown-model", "missing-sn", "unknown-field", "bad-mac", "bad-cidr", "unknown-profile"],
)
def test_cpe_validation(api, tenant_a, payload, field):
    DeviceModelFactory()
    response = api.post("/api/v2/isp/cpes/", payload, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and field in body["errors"], body
    assert field in body["detail"]


def test_duplicate_sn_is_400(api, tenant_a, tenant_b):
    CpeFactory(tenant=tenant_a, sn="HALN12345678")
    CpeFactory(tenant=tenant_b, sn="HALN99999999")
    response = api.post("/api/v2/isp/cpes/", {"sn": "HALN12345678", "model": "HL-4GMV"}, format="json")
    assert response.status_code == 400 and "sn" in response.json()["errors"]
    # sn is unique per tenant: another tenant's serial is free here.
    assert api.post("/api/v2/isp/cpes/", {"sn": "HALN99999999", "model": "HL-4GMV"}, format="json").status_code == 201


def test_foreign_tenant_ids_are_never_linked(api, tenant_a, tenant_b):
    DeviceModelFactory()
    foreign_customer = SubscriberFactory(tenant=tenant_b)
    foreign_cpe = CpeFactory(tenant=tenant_b)
    response = api.post(
        "/api/v2/isp/cpes/", {"sn": "X1", "model": "HL-4GMV", "customer": foreign_customer.pk}, format="json"
    )
    assert response.status_code == 400 and "customer" in response.json()["errors"]
    own = CpeFactory(tenant=tenant_a)
    response = api.patch(f"/api/v2/isp/cpes/{own.pk}/", {"customer": foreign_customer.pk}, format="json")
    assert response.status_code == 400
    response = api.post("/api/v2/isp/potses/", {"cpe": foreign_cpe.pk}, format="json")
    assert response.status_code == 400 and "cpe" in response.json()["errors"]
    assert not PotsLine.objects.filter(cpe=foreign_cpe).exists()


# ---------------------------------------------------------------------------
# Secrets
# ---------------------------------------------------------------------------


def test_secrets_masked_and_revealed_only_on_request(api, api_as, role_users, tenant_a):
    cpe = CpeFactory(tenant=tenant_a, pppoe_password="ppp-secret", wifi_password="")
    url = f"/api/v2/isp/cpes/{cpe.pk}/"
    body = api.get(url).json()
    assert body["pppoe_password"] == SECRET_MASK and body["wifi_password"] == ""
    assert api.get(url, {"show_secrets": 1}).json()["pppoe_password"] == "ppp-secret"
    support = api_as(role_users[Role.SUPPORT], tenant_a)
    assert support.get(url).json()["pppoe_password"] == SECRET_MASK
    response = support.get(url, {"show_secrets": 1})
    assert response.status_code == 403 and "show_secrets" in response.json()["detail"]


def test_masked_secret_written_back_is_unchanged(api, tenant_a):
    cpe = CpeFactory(tenant=tenant_a, pppoe_password="ppp-secret")
    body = api.get(f"/api/v2/isp/cpes/{cpe.pk}/").json()
    assert api.put(f"/api/v2/isp/cpes/{cpe.pk}/", body, format="json").status_code == 200
    cpe.refresh_from_db()
    assert cpe.pppoe_password == "ppp-secret"
    api.patch(f"/api/v2/isp/cpes/{cpe.pk}/", {"pppoe_password": "new-one"}, format="json")
    cpe.refresh_from_db()
    assert cpe.pppoe_password == "new-one"


def test_secrets_encrypted_at_rest(tenant_a):
    line = PotsLineFactory(tenant=tenant_a, password="sip-pass", voicemail_password="1234")
    cpe = line.cpe
    cpe.management_password = "device-pass"
    cpe.save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT password, voicemail_password FROM subscribers_potsline WHERE id = %s", [line.pk])
        stored = cursor.fetchone()
        cursor.execute("SELECT management_password FROM devices_cpe WHERE id = %s", [cpe.pk])
        stored += cursor.fetchone()
    assert all(value.startswith("enc1:") for value in stored)


# ---------------------------------------------------------------------------
# Roles
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "cpes", "customers", "create_cpe"),
    [
        (Role.ADMIN, 200, 200, 201),
        (Role.NOC, 200, 200, 201),
        (Role.SUPPORT, 200, 200, 403),
        (Role.BILLING, 403, 200, 403),
        (Role.READONLY, 200, 200, 403),
    ],
)
def test_role_map(api_as, role_users, tenant_a, role, cpes, customers, create_cpe):
    DeviceModelFactory()
    client = api_as(role_users[role], tenant_a)
    assert client.get("/api/v2/isp/cpes/").status_code == cpes
    assert client.get("/api/v2/isp/customers/").status_code == customers
    assert client.post("/api/v2/isp/cpes/", {"sn": f"S-{role}", "model": "HL-4GMV"}, format="json").status_code == (
        create_cpe
    )


def test_billing_cannot_reach_devices_through_joins(api_as, role_users, tenant_a):
    subscriber = SubscriberFactory(tenant=tenant_a)
    client = api_as(role_users[Role.BILLING], tenant_a)
    response = client.get(f"/api/v2/isp/customers/{subscriber.pk}/", {"joins": "cpes"})
    assert response.status_code == 403


def test_support_cannot_factory_reset(api_as, role_users, tenant_a):
    cpe = CpeFactory(tenant=tenant_a)
    client = api_as(role_users[Role.SUPPORT], tenant_a)
    assert client.post(f"/api/v2/cpes/{cpe.pk}/factory").status_code == 403
    assert client.post(f"/api/v2/cpes/{cpe.pk}/reboot").status_code == 409  # allowed; refused: no address


def test_schema_lists_krill_routes(api):
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    text = response.content.decode()
    for path in ("/api/v2/isp/cpes/", "/api/v2/isp/customers/", "/api/v2/isp/potses/", "/api/v2/cpes/{id}/reboot"):
        assert path in text, path
