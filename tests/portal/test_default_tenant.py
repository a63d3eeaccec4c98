"""A user's default tenant: Krill clients that send no X-Tenant-ID (issue 11, item 3).

The Krill client here is a plain ``django.test.Client`` that sends exactly
what a client written for Krill sends: a form-encoded login to
``/api/v2/auth/login`` (no trailing slash), then only ``Authorization:
Bearer …`` and ``Accept: application/json`` — never X-Tenant-ID.
"""

from __future__ import annotations

import io
from urllib.parse import urlencode, urlsplit

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import Client

from portal.choices import Role
from portal.models import Membership
from portal.tenancy import make_default
from portal.tokens import create_integration_client
from tests.devices.factories import CpeFactory
from tests.factories import PASSWORD, MembershipFactory, TenantFactory, UserFactory

pytestmark = pytest.mark.django_db

FEEDER = "OLT1/0/1"


@pytest.fixture(autouse=True)
def _login_throttle_forgets_these_logins():
    # Every test here logs in like a Krill client; the login throttle (30/min per IP, in the
    # cache) must not carry these logins into the tests that run next.
    yield
    cache.clear()


class KrillClient:
    """What an integration written for Krill sends, and nothing more."""

    def __init__(self, username: str, password: str = PASSWORD):
        self.http = Client()
        response = self.http.post(
            "/api/v2/auth/login",
            urlencode({"username": username, "password": password}),
            content_type="application/x-www-form-urlencoded",
            HTTP_ACCEPT="application/json",
        )
        assert response.status_code == 200, response.content
        self.token = response.json()["access"]

    def get(self, url: str, **headers):
        parts = urlsplit(url)  # ``next`` links are absolute
        path = f"{parts.path}?{parts.query}" if parts.query else parts.path
        return self.http.get(path, HTTP_AUTHORIZATION=f"Bearer {self.token}", HTTP_ACCEPT="application/json", **headers)


@pytest.fixture
def two_tenant_noc(tenant_a, tenant_b):
    """Like the demo's ``noc``: an operator of two tenants whose default is bravo (alpha sorts first)."""
    user = UserFactory(username="nina-two")
    MembershipFactory(user=user, tenant=tenant_a, role=Role.NOC)
    make_default(MembershipFactory(user=user, tenant=tenant_b, role=Role.NOC))
    return user


@pytest.fixture
def fleets(tenant_a, tenant_b):
    """Both tenants have CPEs on a feeder of the same name; bravo has one elsewhere too."""
    alpha = [CpeFactory(tenant=tenant_a, topology=FEEDER) for _ in range(2)]
    bravo = [CpeFactory(tenant=tenant_b, topology=FEEDER) for _ in range(3)]
    bravo_other = CpeFactory(tenant=tenant_b, topology="OLT2/0/1")
    return {"alpha": alpha, "bravo": bravo, "bravo_all": [*bravo, bravo_other]}


def test_krill_client_without_tenant_header_works_in_the_default_tenant(two_tenant_noc, fleets, tenant_b):
    krill = KrillClient("nina-two")

    me = krill.get("/api/v2/me")
    assert me.status_code == 200, me.content
    assert me.json()["tenant"]["slug"] == "bravo"
    assert me.json()["default_tenant"] == {"id": tenant_b.pk, "slug": "bravo", "name": tenant_b.name}

    cpes = krill.get(f"/api/v2/isp/cpes/?{urlencode({'topology': FEEDER})}")
    assert cpes.status_code == 200, cpes.content
    assert sorted(row["id"] for row in cpes.json()["results"]) == sorted(c.pk for c in fleets["bravo"])

    info = krill.get(f"/api/v2/monitoring/cpes/{fleets['bravo'][0].pk}/info")
    assert info.status_code == 200, info.content
    assert info.headers["Content-Type"].startswith("application/json")
    # The other tenant's CPE is not found from the default tenant.
    assert krill.get(f"/api/v2/monitoring/cpes/{fleets['alpha'][0].pk}/info").status_code == 404

    hosts, url, pages = [], "/api/v2/monitoring/search/?limit=2", 0
    while url:
        page = krill.get(url)
        assert page.status_code == 200, page.content
        hosts += page.json()["results"]
        url, pages = page.json()["next"], pages + 1
    assert pages == 2
    assert sorted(host["id"] for host in hosts) == sorted(c.pk for c in fleets["bravo_all"])


def test_two_tenants_and_no_default_is_tenant_required(tenant_a, tenant_b):
    user = UserFactory(username="no-default")
    MembershipFactory(user=user, tenant=tenant_a)
    MembershipFactory(user=user, tenant=tenant_b)
    krill = KrillClient("no-default")
    for url in ("/api/v2/me", f"/api/v2/isp/cpes/?topology={FEEDER}", "/api/v2/monitoring/search/"):
        response = krill.get(url)
        assert response.status_code == 400, url
        assert response.json()["code"] == "tenant_required"
        assert "alpha" in response.json()["detail"] and "bravo" in response.json()["detail"]


def test_one_tenant_and_no_default_needs_no_header(tenant_a):
    MembershipFactory(user=UserFactory(username="solo"), tenant=tenant_a)
    me = KrillClient("solo").get("/api/v2/me")
    assert me.status_code == 200
    assert me.json()["tenant"]["slug"] == "alpha"
    assert me.json()["default_tenant"] is None


def test_explicit_tenant_header_wins_over_the_default(two_tenant_noc, fleets, tenant_a):
    krill = KrillClient("nina-two")
    assert krill.get("/api/v2/me", HTTP_X_TENANT_ID="alpha").json()["tenant"]["slug"] == "alpha"
    cpes = krill.get(f"/api/v2/isp/cpes/?topology={FEEDER}", HTTP_X_TENANT_ID=str(tenant_a.pk))
    assert sorted(row["id"] for row in cpes.json()["results"]) == sorted(c.pk for c in fleets["alpha"])


def test_a_foreign_tenant_header_is_403_even_with_a_default(two_tenant_noc, fleets):
    TenantFactory(slug="charlie", name="Charlie Cable")
    krill = KrillClient("nina-two")
    for url in ("/api/v2/me", "/api/v2/isp/cpes/", f"/api/v2/monitoring/cpes/{fleets['bravo'][0].pk}/info"):
        response = krill.get(url, HTTP_X_TENANT_ID="charlie")
        assert response.status_code == 403, url
        assert response.json()["code"] == "permission_denied"


def test_ispchamp_v1_still_requires_the_header(two_tenant_noc):
    krill = KrillClient("nina-two")
    response = krill.get("/api/v1/subscribers")
    assert response.status_code == 400
    assert response.json() == {
        "status": "error",
        "error": {"detail": response.json()["error"]["detail"], "code": "tenant_required"},
    }
    assert krill.get("/api/v1/subscribers", HTTP_X_TENANT_ID="bravo").status_code == 200


def test_integration_client_stays_bound_to_its_tenant(tenant_a, tenant_b):
    integration = create_integration_client(tenant_a, "CRM")
    # Even if the client's service user were given a default elsewhere, the binding decides.
    make_default(MembershipFactory(user=integration.client.application.user, tenant=tenant_b))
    http = Client(HTTP_AUTHORIZATION=f"Bearer {integration.token.access}", HTTP_ACCEPT="application/json")
    me = http.get("/api/v2/me")
    assert me.status_code == 200, me.content
    assert me.json()["tenant"]["slug"] == "alpha"
    assert me.json()["default_tenant"]["slug"] == "alpha"
    assert http.get("/api/v2/me", HTTP_X_TENANT_ID="bravo").status_code == 403


# --- the profile page ----------------------------------------------------------------------


def test_changing_the_default_on_the_profile_page_changes_the_api_tenant(two_tenant_noc, tenant_a):
    krill = KrillClient("nina-two")
    assert krill.get("/api/v2/me").json()["tenant"]["slug"] == "bravo"

    browser = Client(enforce_csrf_checks=False)
    browser.force_login(two_tenant_noc)
    page = browser.get("/account/")
    assert page.status_code == 200
    assert b"Alpha Fibre" in page.content and b"Bravo Wireless" in page.content
    alpha = Membership.objects.get(user=two_tenant_noc, tenant=tenant_a)
    response = browser.post("/account/", {"membership": alpha.pk})
    assert response.status_code == 302

    assert krill.get("/api/v2/me").json()["tenant"]["slug"] == "alpha"
    assert list(Membership.objects.filter(user=two_tenant_noc, is_default=True)) == [alpha]


def test_profile_page_refuses_another_users_membership(two_tenant_noc, outsider, tenant_b):
    """Isolation: the page lists only the user's own memberships and sets only theirs."""
    theirs = Membership.objects.get(user=outsider, tenant=tenant_b)
    other_tenant = TenantFactory(slug="delta", name="Delta Datacom")
    MembershipFactory(user=outsider, tenant=other_tenant)

    browser = Client()
    browser.force_login(two_tenant_noc)
    page = browser.get("/account/")
    assert b"Delta Datacom" not in page.content

    response = browser.post("/account/", {"membership": theirs.pk})
    assert response.status_code == 400
    assert b"Select a valid choice" in response.content
    theirs.refresh_from_db()
    assert not theirs.is_default
    assert Membership.objects.get(user=two_tenant_noc, is_default=True).tenant == tenant_b


def test_profile_page_needs_a_login():
    response = Client().get("/account/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_user_menu_links_the_profile_page(two_tenant_noc):
    browser = Client()
    browser.force_login(two_tenant_noc)
    assert b'href="/account/"' in browser.get("/").content


def test_first_page_after_login_is_in_the_default_tenant(two_tenant_noc, tenant_b):
    browser = Client()
    assert browser.post("/login/", {"username": "nina-two", "password": PASSWORD}).status_code == 302
    assert browser.get("/").context["active_tenant"] == tenant_b


# --- the data ------------------------------------------------------------------------------


def test_one_default_per_user_in_the_database(two_tenant_noc, tenant_a):
    alpha = Membership.objects.get(user=two_tenant_noc, tenant=tenant_a)
    alpha.is_default = True
    with pytest.raises(IntegrityError), transaction.atomic():
        alpha.save()


def test_admin_ticking_a_default_replaces_the_old_one(two_tenant_noc, tenant_a, tenant_b):
    admin_client = Client()
    admin_client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    alpha = Membership.objects.get(user=two_tenant_noc, tenant=tenant_a)
    response = admin_client.post(
        f"/admin/portal/membership/{alpha.pk}/change/",
        {"user": two_tenant_noc.pk, "tenant": tenant_a.pk, "role": Role.NOC, "is_default": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(Membership.objects.filter(user=two_tenant_noc, is_default=True)) == [alpha]


def test_admin_tenant_inline_can_move_a_default(two_tenant_noc, tenant_a, tenant_b):
    admin_client = Client()
    admin_client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    alpha = Membership.objects.get(user=two_tenant_noc, tenant=tenant_a)
    change = admin_client.get(f"/admin/portal/tenant/{tenant_a.pk}/change/")
    form = change.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data["management_networks"] = '["10.1.0.0/16"]'  # the factories give every tenant 127/8: disjoint here
    data.update(
        {
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "1",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
            "memberships-0-id": alpha.pk,
            "memberships-0-tenant": tenant_a.pk,
            "memberships-0-user": two_tenant_noc.pk,
            "memberships-0-role": Role.NOC,
            "memberships-0-is_default": "on",
        }
    )
    response = admin_client.post(f"/admin/portal/tenant/{tenant_a.pk}/change/", data)
    assert response.status_code == 302, response.context["errors"]
    assert list(Membership.objects.filter(user=two_tenant_noc, is_default=True)) == [alpha]


def test_seed_demo_gives_every_demo_user_the_demo_tenant_as_default():
    call_command("seed_demo", "--small", "--password", "x", stdout=io.StringIO())
    defaults = Membership.objects.filter(is_default=True).select_related("user", "tenant")
    assert {m.user.username: m.tenant.slug for m in defaults} == {
        "admin": "demo",
        "noc": "demo",
        "support": "demo",
        "billing": "demo",
        "viewer": "demo",
    }
    # noc belongs to demo and acme: a Krill client needs no header.
    assert KrillClient("noc", "x").get("/api/v2/me").json()["tenant"]["slug"] == "demo"
