"""Operational commands and endpoints: create_api_client with curl, seed_demo, API docs offline, check --deploy."""

import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from portal.models import IntegrationClient, Membership, Tenant

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db(transaction=True)
def test_create_api_client_output_works_with_curl(tenant_a, live_server):
    out = StringIO()
    call_command("create_api_client", "--tenant", tenant_a.slug, "--name", "Curl CRM", "--read-only", stdout=out)
    text = out.getvalue()
    token = re.search(r"bearer token:\s+(\S+)", text).group(1)
    client_id = re.search(r"client_id:\s+(\S+)", text).group(1)
    secret = re.search(r"client_secret:\s+(\S+)", text).group(1)
    assert IntegrationClient.objects.get(name="Curl CRM").scope == "read"

    def curl(*args):
        result = subprocess.run(
            ["curl", "-sS", "--max-time", "10", "-w", "\n%{http_code}", *args],
            capture_output=True,
            text=True,
            check=True,
        )
        body, _, code = result.stdout.rpartition("\n")
        return int(code), body

    code, body = curl("-H", f"Authorization: Bearer {token}", f"{live_server.url}/api/v2/me")
    assert code == 200, body
    assert f'"slug":"{tenant_a.slug}"' in body
    # The printed client credentials mint a new token at the OAuth2 endpoint.
    code, body = curl(
        "-u", f"{client_id}:{secret}", "-d", "grant_type=client_credentials", f"{live_server.url}/o/token/"
    )
    assert code == 200, body
    assert '"scope": "read"' in body or '"scope":"read"' in body


@pytest.mark.django_db
def test_create_api_client_unknown_tenant():
    with pytest.raises(CommandError, match="No tenant"):
        call_command("create_api_client", "--tenant", "nope", "--name", "x")


@pytest.mark.django_db
def test_seed_demo_is_idempotent(settings, tmp_path):
    settings.VAR_DIR = tmp_path  # where the random passwords are written
    out = StringIO()
    call_command("seed_demo", "--small", stdout=out)
    assert "passwords are in" in out.getvalue()
    counts = (Tenant.objects.count(), Membership.objects.count())
    out = StringIO()
    call_command("seed_demo", "--small", stdout=out)
    assert "passwords unchanged" in out.getvalue()
    assert (Tenant.objects.count(), Membership.objects.count()) == counts
    assert set(Tenant.objects.values_list("slug", flat=True)) >= {"demo", "acme"}
    roles = dict(Membership.objects.filter(tenant__slug="demo").values_list("user__username", "role"))
    assert roles["noc"] == "noc" and roles["support"] == "support" and roles["billing"] == "billing"


@pytest.mark.django_db
def test_seed_demo_with_password():
    call_command("seed_demo", "--small", "--password", "demo-pass-123", stdout=StringIO())
    assert get_user_model().objects.get(username="noc").check_password("demo-pass-123")


@pytest.mark.django_db
def test_api_docs_render_offline():
    client = Client()
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, "Swagger UI page references no assets"
    for url in assets:
        assert not url.startswith(("http://", "https://", "//")), f"external asset {url}"
        if url.startswith("/static/"):
            assert client.get(url).status_code == 200, url
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v2/auth/login/" in paths and "/api/v2/me/" in paths


PRODUCTION_ENV = {
    "SECRET_KEY": "x" * 20 + "-a-long-random-production-secret-key-9f8e7d6c5b4a",
    "DEBUG": "false",
    "ALLOWED_HOSTS": "noc.example.net",
    "CSRF_TRUSTED_ORIGINS": "https://noc.example.net",
    "DATABASE_URL": "postgres://noc:secret@127.0.0.1:5432/noc",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
    "FIELD_ENCRYPTION_KEYS": "sZm6npf8_Ur4haAcC6foliT4wLKwe21mRchrwNvjd98=",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_PRELOAD": "true",
    "SESSION_COOKIE_SECURE": "true",
    "CSRF_COOKIE_SECURE": "true",
    "BEHIND_TLS_PROXY": "true",
    "TIME_ZONE": "Europe/Warsaw",
}


def _check_deploy(env):
    full_env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and not k.startswith("PYTEST")}
    full_env.update(env)
    full_env["NOC_TESTING"] = "0"
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_the_documented_production_environment():
    result = _check_deploy(PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_flags_missing_encryption_keys():
    env = dict(PRODUCTION_ENV, FIELD_ENCRYPTION_KEYS="")
    result = _check_deploy(env)
    assert result.returncode != 0
    assert "portal.E001" in result.stderr + result.stdout


def test_readme_documents_the_production_environment():
    readme = (ROOT / "README.md").read_text()
    for name in PRODUCTION_ENV:
        assert name in readme, f"README does not document {name}"


def test_pages_render_with_production_static_storage(tmp_path):
    """`make run` serves with DEBUG off: collectstatic's manifest must cover every asset a page names."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update({"NOC_TESTING": "0", "NOC_VAR_DIR": str(tmp_path), "DEBUG": "false"})
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    script = (
        "import django; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/login/', HTTP_HOST='127.0.0.1');"
        "print(r.status_code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=dict(env, DJANGO_SETTINGS_MODULE="portal.settings"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip().endswith("200"), result.stdout + result.stderr
