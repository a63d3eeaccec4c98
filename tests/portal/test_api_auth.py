"""Bearer tokens, Krill's login/refresh, scopes and the tenant gate, as an API client sees them."""

import base64
from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import AccessToken
from rest_framework.test import APIClient

from portal.tokens import issue_user_tokens
from tests.conftest import bearer_client
from tests.factories import PASSWORD, MembershipFactory

ME = "/api/v2/me"


@pytest.mark.django_db
class TestBearerTokens:
    def test_no_token_is_401_with_challenge(self, tenant_a):
        response = APIClient().get(ME)
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert response.json()["code"] == "not_authenticated"

    def test_bad_token_is_401(self, tenant_a):
        response = bearer_client("not-a-real-token").get(ME)
        assert response.status_code == 401
        assert "invalid, expired or revoked" in response.json()["detail"]

    def test_expired_token_is_401(self, noc_user, tenant_a):
        tokens = issue_user_tokens(noc_user)
        AccessToken.objects.filter(user=noc_user).update(expires=timezone.now() - timedelta(seconds=1))
        assert bearer_client(tokens.access).get(ME).status_code == 401

    def test_revoked_token_is_401(self, noc_user, tenant_a):
        tokens = issue_user_tokens(noc_user)
        client = bearer_client(tokens.access)
        assert client.get(ME).status_code == 200
        AccessToken.objects.filter(user=noc_user).get().revoke()
        assert client.get(ME).status_code == 401

    def test_disabled_user_token_is_401(self, noc_user, tenant_a):
        client = bearer_client(issue_user_tokens(noc_user).access)
        noc_user.is_active = False
        noc_user.save()
        assert client.get(ME).status_code == 401

    def test_tokens_are_not_stored_in_plaintext(self, noc_user):
        tokens = issue_user_tokens(noc_user)
        stored = AccessToken.objects.get(user=noc_user)
        assert stored.token == ""
        assert tokens.access not in stored.token_checksum

    def test_me_describes_the_caller(self, api, noc_user, tenant_a):
        body = api.get(ME).json()
        assert body["username"] == noc_user.username
        assert body["tenant"]["slug"] == tenant_a.slug
        assert body["role"] == "noc"
        assert "devices.action.factory" in body["permissions"]


@pytest.mark.django_db
class TestTenantHeader:
    def test_single_membership_needs_no_header(self, api_as, noc_user):
        assert api_as(noc_user).get(ME).json()["tenant"]["slug"] == "alpha"

    def test_header_by_slug_and_by_id(self, api_as, noc_user, tenant_a):
        client = api_as(noc_user)
        assert client.get(ME, HTTP_X_TENANT_ID="alpha").status_code == 200
        assert client.get(ME, HTTP_X_TENANT_ID=str(tenant_a.pk)).status_code == 200

    def test_foreign_tenant_is_403(self, api_as, noc_user, tenant_b):
        response = api_as(noc_user).get(ME, HTTP_X_TENANT_ID="bravo")
        assert response.status_code == 403
        assert "not a member" in response.json()["detail"]

    def test_unknown_tenant_is_403_not_404(self, api_as, noc_user):
        # Never reveal whether a tenant exists to someone outside it.
        assert api_as(noc_user).get(ME, HTTP_X_TENANT_ID="no-such-tenant").status_code == 403

    def test_several_memberships_require_the_header(self, api_as, noc_user, tenant_b):
        MembershipFactory(user=noc_user, tenant=tenant_b)
        response = api_as(noc_user).get(ME)
        assert response.status_code == 400
        assert response.json()["code"] == "tenant_required"
        assert "bravo" in response.json()["detail"]


@pytest.mark.django_db
class TestKrillLogin:
    def test_json_body(self, noc_user):
        response = APIClient().post(
            "/api/v2/auth/login", {"username": noc_user.username, "password": PASSWORD}, format="json"
        )
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"access", "refresh"}
        assert bearer_client(body["access"]).get(ME).status_code == 200

    def test_form_body(self, noc_user):
        response = APIClient().post("/api/v2/auth/login", {"username": noc_user.username, "password": PASSWORD})
        assert response.status_code == 200
        assert bearer_client(response.json()["access"]).get(ME).status_code == 200

    def test_wrong_password_is_401(self, noc_user):
        response = APIClient().post("/api/v2/auth/login", {"username": noc_user.username, "password": "nope"})
        assert response.status_code == 401
        assert "access" not in response.json()

    def test_missing_fields_are_400(self, db):
        response = APIClient().post("/api/v2/auth/login", {}, format="json")
        assert response.status_code == 400
        assert set(response.json()["errors"]) == {"username", "password"}

    def test_repeated_failures_lock_the_account(self, noc_user, settings):
        client = APIClient()
        for _ in range(settings.AXES_FAILURE_LIMIT):
            client.post("/api/v2/auth/login", {"username": noc_user.username, "password": "wrong"})
        response = client.post("/api/v2/auth/login", {"username": noc_user.username, "password": PASSWORD})
        assert response.status_code == 429
        assert response.json()["code"] == "locked_out"

    def test_refresh_rotates(self, noc_user):
        pair = (
            APIClient()
            .post("/api/v2/auth/login", {"username": noc_user.username, "password": PASSWORD}, format="json")
            .json()
        )
        response = APIClient().post("/api/v2/auth/refresh", {"refresh": pair["refresh"]}, format="json")
        assert response.status_code == 200
        new = response.json()
        assert new["access"] != pair["access"]
        assert bearer_client(new["access"]).get(ME).status_code == 200
        # The used refresh token cannot be replayed.
        again = APIClient().post("/api/v2/auth/refresh", {"refresh": pair["refresh"]}, format="json")
        assert again.status_code == 401

    def test_refresh_with_garbage_is_401(self, db):
        response = APIClient().post("/api/v2/auth/refresh", {"refresh": "garbage"}, format="json")
        assert response.status_code == 401


@pytest.mark.django_db
class TestIntegrationClients:
    def test_bound_tenant_needs_no_header(self, integration_rw, tenant_a):
        body = bearer_client(integration_rw.token.access).get(ME).json()
        assert body["tenant"]["slug"] == tenant_a.slug
        assert body["scope"] == ["read", "write"]

    def test_other_tenant_header_is_403(self, integration_rw, tenant_b):
        response = bearer_client(integration_rw.token.access).get(ME, HTTP_X_TENANT_ID="bravo")
        assert response.status_code == 403

    def test_read_only_token_cannot_write(self, integration_ro, integration_rw):
        client = bearer_client(integration_ro.token.access)
        assert client.get("/api/v2/auth/clients/").status_code == 200
        response = client.delete(f"/api/v2/auth/clients/{integration_rw.client.pk}/")
        assert response.status_code == 403
        assert "read-only" in response.json()["detail"]

    def test_client_credentials_grant_issues_a_working_token(self, integration_ro):
        client = APIClient()
        response = client.post(
            "/o/token/",
            {"grant_type": "client_credentials"},
            HTTP_AUTHORIZATION=_basic(integration_ro.client_id, integration_ro.client_secret),
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["scope"] == "read"
        assert bearer_client(body["access_token"]).get(ME).status_code == 200

    def test_read_only_client_cannot_ask_for_write_scope(self, integration_ro):
        response = APIClient().post(
            "/o/token/",
            {"grant_type": "client_credentials", "scope": "read write"},
            HTTP_AUTHORIZATION=_basic(integration_ro.client_id, integration_ro.client_secret),
        )
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_scope"

    def test_deleting_a_client_revokes_its_tokens(self, api_as, admin_user, tenant_a, integration_ro):
        token_client = bearer_client(integration_ro.token.access)
        assert token_client.get(ME).status_code == 200
        admin = api_as(admin_user, tenant_a)
        assert admin.delete(f"/api/v2/auth/clients/{integration_ro.client.pk}/").status_code == 204
        assert token_client.get(ME).status_code == 401

    def test_only_admins_manage_clients(self, api, integration_ro):
        assert api.get("/api/v2/auth/clients/").status_code == 403


def _basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.django_db
def test_client_routes_answer_with_and_without_trailing_slash(api_as, admin_user, tenant_a):
    client = api_as(admin_user, tenant_a)
    assert client.get("/api/v2/auth/clients/").status_code == 200
    assert client.get("/api/v2/auth/clients").status_code == 200
