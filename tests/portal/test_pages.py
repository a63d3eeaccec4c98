"""Login, dashboard and the tenant switcher as a browser user sees them (server side)."""

import re

import pytest
from django.test import Client

from portal.models import Membership
from tests.factories import PASSWORD, MembershipFactory


@pytest.fixture
def browser(noc_user, tenant_b):
    MembershipFactory(user=noc_user, tenant=tenant_b)  # a NOC operator serving two brands
    client = Client()
    client.force_login(noc_user)
    return client


@pytest.mark.django_db
def test_dashboard_requires_login(db):
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_login_page_and_wrong_password(noc_user):
    client = Client()
    assert client.get("/login/").status_code == 200
    response = client.post("/login/", {"username": noc_user.username, "password": "nope"})
    assert response.status_code == 200
    assert b"Wrong username or password" in response.content
    response = client.post("/login/", {"username": noc_user.username, "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.django_db
def test_login_is_rate_limited(noc_user, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": noc_user.username, "password": "nope"})
    response = client.post("/login/", {"username": noc_user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert b"Too many failed login attempts" in response.content


@pytest.mark.django_db
def test_dashboard_shows_the_active_tenant_and_switcher(browser, tenant_a, tenant_b):
    response = browser.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="tenant-switcher"' in html
    assert tenant_a.name in html and tenant_b.name in html
    assert response["Vary"].find("HX-Request") >= 0


@pytest.mark.django_db
def test_switching_tenant_changes_the_counts(browser, tenant_a, tenant_b, django_user_model):
    # Tenant B has three more members than tenant A's two (noc + the switcher user).
    for i in range(3):
        MembershipFactory(tenant=tenant_b, user__username=f"extra{i}")

    def members_tile(html):
        match = re.search(r'data-tile="members">.*?<div class="h1[^>]*>(.*?)</div>', html, re.S)
        return match.group(1).strip()

    before = members_tile(browser.get("/").content.decode())
    assert before == str(Membership.objects.filter(tenant=tenant_a).count())
    response = browser.post("/tenant/switch/", {"tenant": tenant_b.pk, "next": "/"})
    assert response.status_code == 302
    after = members_tile(browser.get("/").content.decode())
    assert after == str(Membership.objects.filter(tenant=tenant_b).count())
    assert after != before


@pytest.mark.django_db
def test_switching_to_a_foreign_tenant_is_refused(noc_user, tenant_a, tenant_b):
    client = Client()
    client.force_login(noc_user)
    response = client.post("/tenant/switch/", {"tenant": tenant_b.pk})
    assert response.status_code == 403
    # The active tenant did not change.
    assert tenant_a.name in client.get("/").content.decode()


@pytest.mark.django_db
def test_switch_ignores_offsite_next(browser, tenant_b):
    response = browser.post("/tenant/switch/", {"tenant": tenant_b.pk, "next": "https://evil.example/"})
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_htmx_refresh_returns_only_the_tiles(browser):
    response = browser.get("/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="dashboard-tiles"')
    assert "<html" not in html


@pytest.mark.django_db
def test_user_without_membership_gets_a_clear_403(django_user_model):
    client = Client()
    client.force_login(django_user_model.objects.create_user("lonely", password=PASSWORD))
    response = client.get("/")
    assert response.status_code == 403
    assert b"not a member of any tenant" in response.content


@pytest.mark.django_db
def test_audit_trail_records_who_changed_a_membership(admin_user, noc_user, tenant_a):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    membership = Membership.objects.get(user=noc_user, tenant=tenant_a)
    response = client.post(
        f"/admin/portal/membership/{membership.pk}/change/",
        {"user": noc_user.pk, "tenant": tenant_a.pk, "role": "support"},
    )
    assert response.status_code == 302, response.content[:2000]
    latest = membership.history.latest()
    assert latest.role == "support"
    assert latest.history_user == admin_user
    assert latest.history_type == "~"
    # ... and the admin shows it.
    history_page = client.get(f"/admin/portal/membership/{membership.pk}/history/")
    assert history_page.status_code == 200
    assert admin_user.username in history_page.content.decode()
