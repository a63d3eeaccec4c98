"""Fixtures every test package uses: two tenants, a user per role, bearer-token API clients.

Tenant A is where the work happens; tenant B exists so that every test can
check that A's data is invisible from B (see tests/tenant_isolation.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from portal.choices import Role
from portal.tokens import create_integration_client, issue_user_tokens
from tests.factories import MembershipFactory, TenantFactory, UserFactory


@pytest.fixture
def tenant_a(db):
    return TenantFactory(slug="alpha", name="Alpha Fibre", realm="alp")


@pytest.fixture
def tenant_b(db):
    return TenantFactory(slug="bravo", name="Bravo Wireless", realm="brv")


def _member(username, tenant, role):
    user = UserFactory(username=username)
    MembershipFactory(user=user, tenant=tenant, role=role)
    return user


def _tenant_a_member(username: str, role: Role):
    """A fixture: a user of tenant A with that one role."""

    @pytest.fixture
    def member(tenant_a):
        return _member(username, tenant_a, role)

    return member


admin_user = _tenant_a_member("alice-admin", Role.ADMIN)
noc_user = _tenant_a_member("nora-noc", Role.NOC)
support_user = _tenant_a_member("sid-support", Role.SUPPORT)
billing_user = _tenant_a_member("bea-billing", Role.BILLING)
readonly_user = _tenant_a_member("ray-readonly", Role.READONLY)


@pytest.fixture
def outsider(tenant_b):
    """An admin of tenant B only."""
    return _member("otto-outsider", tenant_b, Role.ADMIN)


@pytest.fixture
def role_users(admin_user, noc_user, support_user, billing_user, readonly_user):
    return {
        Role.ADMIN: admin_user,
        Role.NOC: noc_user,
        Role.SUPPORT: support_user,
        Role.BILLING: billing_user,
        Role.READONLY: readonly_user,
    }


def bearer_client(token: str, tenant=None) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    if tenant is not None:
        client.defaults["HTTP_X_TENANT_ID"] = tenant.slug
    return client


@pytest.fixture
def api_as():
    """``api_as(user)`` → an APIClient with a fresh bearer token for that user."""

    def make(user, tenant=None):
        return bearer_client(issue_user_tokens(user).access, tenant)

    return make


@pytest.fixture
def api(api_as, noc_user, tenant_a):
    """A NOC operator of tenant A."""
    return api_as(noc_user, tenant_a)


@pytest.fixture
def api_b(api_as, outsider, tenant_b):
    """An admin of tenant B: the second tenant's credentials for isolation checks."""
    return api_as(outsider, tenant_b)


@pytest.fixture
def integration_rw(tenant_a):
    return create_integration_client(tenant_a, "CRM read-write")


@pytest.fixture
def integration_ro(tenant_a):
    return create_integration_client(tenant_a, "CRM read-only", read_only=True)


def pytest_sessionfinish(session, exitstatus):
    """Remove this run's private filesystem-broker folder (see portal/settings.py)."""
    folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("data_folder_in")
    if folder and "broker-test-" in folder:
        shutil.rmtree(Path(folder).parent, ignore_errors=True)
