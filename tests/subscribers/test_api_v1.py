"""ISPChamp v1: the envelope and tenant header on every route, subscribers and support tickets."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from billing import services
from portal.choices import Role
from portal.tokens import issue_user_tokens
from subscribers.choices import ServiceEventKind, SubscriberStatus
from subscribers.models import ServiceEvent, Subscriber
from support.models import Ticket
from tests.billing.helpers import make_plan, make_subscriber, subscribe, subscribed
from tests.conftest import bearer_client

pytestmark = pytest.mark.django_db

# Every v1 route: (method, path template). {s}: a subscriber id, {t}: a ticket id, {i}: an invoice id.
ROUTES = [
    ("get", "/api/v1/subscribers"),
    ("post", "/api/v1/subscribers"),
    ("get", "/api/v1/subscribers/{s}"),
    ("patch", "/api/v1/subscribers/{s}"),
    ("put", "/api/v1/subscribers/{s}"),
    ("delete", "/api/v1/subscribers/{s}"),
    ("post", "/api/v1/subscribers/{s}/activate"),
    ("post", "/api/v1/subscribers/{s}/suspend"),
    ("get", "/api/v1/billing/invoices"),
    ("post", "/api/v1/billing/invoices/generate"),
    ("get", "/api/v1/billing/invoices/{i}"),
    ("get", "/api/v1/billing/payments"),
    ("post", "/api/v1/billing/payments"),
    ("get", "/api/v1/support/tickets"),
    ("post", "/api/v1/support/tickets"),
    ("get", "/api/v1/support/tickets/{t}"),
    ("patch", "/api/v1/support/tickets/{t}"),
    ("get", "/api/v1/support/tickets/{t}/comments"),
    ("post", "/api/v1/support/tickets/{t}/comments"),
]
ROUTE_IDS = [f"{m.upper()} {p}" for m, p in ROUTES]


@pytest.fixture
def objects(tenant_a):
    subscriber = subscribed(tenant_a, email="anna@example.net")
    services.run_billing(tenant_a, "2026-10")
    ticket = Ticket.objects.create(tenant=tenant_a, subject="Slow", subscriber=subscriber)
    return {"s": subscriber.pk, "t": ticket.pk, "i": subscriber.invoices.get().pk}


@pytest.fixture
def admin_api(api_as, admin_user, tenant_a):
    return api_as(admin_user, tenant_a)


def call(client, method, path, **kwargs):
    return getattr(client, method)(path, kwargs.get("data", {}), format="json", **kwargs.get("headers", {}))


class TestEveryRoute:
    @pytest.mark.parametrize(("method", "path"), ROUTES, ids=ROUTE_IDS)
    def test_missing_tenant_header_is_400_in_the_envelope(self, method, path, objects, admin_user):
        client = bearer_client(issue_user_tokens(admin_user).access)  # no X-Tenant-ID
        response = call(client, method, path.format(**objects))
        assert response.status_code == 400, response.content
        body = response.json()
        assert body["status"] == "error"
        assert body["error"]["code"] == "tenant_required"
        assert "X-Tenant-ID" in body["error"]["detail"]

    @pytest.mark.parametrize(("method", "path"), ROUTES, ids=ROUTE_IDS)
    def test_foreign_tenant_is_403(self, method, path, objects, api_as, outsider, tenant_a):
        response = call(api_as(outsider, tenant_a), method, path.format(**objects))
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"
        assert "not a member" in response.json()["error"]["detail"]

    @pytest.mark.parametrize(("method", "path"), ROUTES, ids=ROUTE_IDS)
    def test_no_token_is_401(self, method, path, objects, tenant_a):
        client = APIClient()
        client.defaults["HTTP_X_TENANT_ID"] = tenant_a.slug
        response = call(client, method, path.format(**objects))
        assert response.status_code == 401
        assert response.json() == {
            "status": "error",
            "error": {"detail": "Authentication credentials were not provided.", "code": "not_authenticated"},
        }

    @pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if r[0] == "get"])
    def test_with_and_without_trailing_slash(self, method, path, objects, admin_api):
        for variant in (path, path + "/"):
            response = admin_api.get(variant.format(**objects))
            assert response.status_code == 200, (variant, response.content)
            assert response.json()["status"] == "success"

    def test_integration_client_must_send_the_header_too(self, integration_rw, tenant_a):
        client = bearer_client(integration_rw.token.access)
        assert client.get("/api/v1/subscribers").status_code == 400
        client.defaults["HTTP_X_TENANT_ID"] = tenant_a.slug
        assert client.get("/api/v1/subscribers").status_code == 200

    def test_unknown_v1_path_is_a_404_envelope(self, admin_api):
        response = admin_api.get("/api/v1/nothing/here")
        assert response.status_code == 404
        assert response.json()["status"] == "error"


class TestSubscribers:
    def test_list_paginates_into_meta(self, admin_api, tenant_a):
        for i in range(3):
            make_subscriber(tenant_a, name=f"S{i}")
        body = admin_api.get("/api/v1/subscribers/", {"limit": 2}).json()
        assert body["status"] == "success"
        assert len(body["data"]) == 2
        pagination = body["meta"]["pagination"]
        assert (pagination["count"], pagination["limit"], pagination["offset"]) == (3, 2, 0)
        assert pagination["next"].startswith("http://testserver/api/v1/subscribers/?")
        assert pagination["previous"] is None

    def test_filters_status_plan_search(self, admin_api, tenant_a):
        fast = make_plan(tenant_a, "fast")
        anna = subscribed(tenant_a, fast, name="Anna", email="anna@example.net")
        bob = subscribed(tenant_a, make_plan(tenant_a, "basic"), name="Bob")
        Subscriber.objects.filter(pk=bob.pk).update(status=SubscriberStatus.SUSPENDED)

        def ids(**params):
            return [row["id"] for row in admin_api.get("/api/v1/subscribers", params).json()["data"]]

        assert ids(status="suspended") == [bob.pk]
        assert ids(plan="fast") == [anna.pk]
        assert ids(plan=str(fast.pk)) == [anna.pk]
        assert ids(search="example.net") == [anna.pk]
        assert ids(search="bob") == [bob.pk]
        assert admin_api.get("/api/v1/subscribers", {"status": "bogus"}).status_code == 400

    def test_plan_and_balance_are_shown(self, admin_api, tenant_a):
        subscriber = subscribed(tenant_a)
        services.run_billing(tenant_a, "2026-10")
        data = admin_api.get(f"/api/v1/subscribers/{subscriber.pk}").json()["data"]
        assert (data["plan"], data["balance"]) == ("fibre-100", "-36.00")

    def test_create_and_validation_errors(self, admin_api, tenant_a):
        response = admin_api.post("/api/v1/subscribers/", {"name": "Ewa", "email": "ewa@example.net"}, format="json")
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["status"] == "success"
        assert body["data"]["status"] == "active"
        assert Subscriber.objects.get(pk=body["data"]["id"]).tenant == tenant_a

        response = admin_api.post("/api/v1/subscribers", {"email": "not-an-email"}, format="json")
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "invalid"
        assert set(error["errors"]) == {"name", "email"}

    def test_external_id_is_unique_per_tenant(self, admin_api, tenant_a):
        make_subscriber(tenant_a, external_id="CRM-1")
        response = admin_api.post("/api/v1/subscribers", {"name": "X", "external_id": "CRM-1"}, format="json")
        assert response.status_code == 400
        assert "external_id" in response.json()["error"]["errors"]

    def test_update_keeps_status_read_only(self, admin_api, tenant_a):
        subscriber = make_subscriber(tenant_a)
        url = f"/api/v1/subscribers/{subscriber.pk}"
        response = admin_api.patch(url, {"city": "Gdansk", "status": "inactive"}, format="json")
        assert response.status_code == 200
        assert response.json()["data"]["city"] == "Gdansk"
        assert response.json()["data"]["status"] == "active"
        response = admin_api.put(url, {"name": "Jan", "surname": "Nowak"}, format="json")
        assert response.json()["data"]["surname"] == "Nowak"

    def test_delete_deactivates_softly(self, admin_api, admin_user, tenant_a):
        subscriber = subscribed(tenant_a)
        response = admin_api.delete(f"/api/v1/subscribers/{subscriber.pk}")
        assert response.status_code == 200
        assert response.json()["data"]["status"] == "inactive"
        subscriber.refresh_from_db()
        assert subscriber.status == SubscriberStatus.INACTIVE
        assert subscriber.history.first().history_user == admin_user
        assert ServiceEvent.objects.get(subscriber=subscriber).kind == ServiceEventKind.SUSPEND
        assert subscriber.subscriptions.get().end_date is not None

    def test_suspend_and_activate(self, admin_api, tenant_a):
        subscriber = make_subscriber(tenant_a)
        base = f"/api/v1/subscribers/{subscriber.pk}"
        assert admin_api.post(f"{base}/suspend").json()["data"]["status"] == "suspended"
        assert admin_api.post(f"{base}/suspend/").json()["data"]["status"] == "suspended"  # idempotent
        assert admin_api.post(f"{base}/activate").json()["data"]["status"] == "active"
        kinds = list(ServiceEvent.objects.filter(subscriber=subscriber).values_list("kind", flat=True))
        assert sorted(kinds) == ["restore", "suspend"]

    def test_deactivated_cannot_be_suspended(self, admin_api, tenant_a):
        subscriber = make_subscriber(tenant_a, status=SubscriberStatus.INACTIVE)
        response = admin_api.post(f"/api/v1/subscribers/{subscriber.pk}/suspend")
        assert response.status_code == 400
        assert "status" in response.json()["error"]["errors"]

    @pytest.mark.parametrize(
        ("role", "allowed"),
        [(Role.ADMIN, True), (Role.NOC, True), (Role.BILLING, True), (Role.SUPPORT, False), (Role.READONLY, False)],
    )
    def test_who_may_change_subscribers(self, role, allowed, role_users, api_as, tenant_a):
        client = api_as(role_users[role], tenant_a)
        assert client.get("/api/v1/subscribers").status_code == 200
        response = client.post("/api/v1/subscribers", {"name": "Role test"}, format="json")
        assert response.status_code == (201 if allowed else 403)


def test_openapi_documents_the_envelope(admin_user, tenant_a, client):
    client.force_login(admin_user)
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    listing = schema["paths"]["/api/v1/subscribers/"]["get"]["responses"]
    envelope = listing["200"]["content"]["application/json"]["schema"]
    assert envelope["properties"]["status"]["enum"] == ["success"]
    assert "pagination" in envelope["properties"]["meta"]["properties"]
    assert listing["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/V1Error")
    assert "V1Error" in schema["components"]["schemas"]
    example = listing["200"]["content"]["application/json"]["examples"]
    assert next(iter(example.values()))["value"]["status"] == "success"
    generate = schema["paths"]["/api/v1/billing/invoices/generate/"]["post"]
    assert any(p["name"] == "X-Tenant-ID" and p["required"] for p in generate["parameters"])


def test_subscribe_helper_is_used(tenant_a):
    # Guard for helpers shared with billing tests.
    subscriber = make_subscriber(tenant_a)
    subscribe(subscriber, make_plan(tenant_a))
    assert subscriber.subscriptions.count() == 1
