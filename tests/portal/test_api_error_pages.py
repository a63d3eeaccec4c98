"""Under /api/ every error is JSON in the API's error shape, never Django's HTML page (issue 11, item 1).

Each case is the request a fuzzer sent: an unmatched URL, a wrong method, a
cookie-authenticated POST without a CSRF token, a body over
``DATA_UPLOAD_MAX_MEMORY_SIZE``, an unexpected exception. Outside /api/ the
same requests still get Django's pages.
"""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from portal import urls as portal_urls
from portal.api.views import MeView
from portal.views import DashboardView
from subscribers.api.v1 import SubscriberViewSet

pytestmark = pytest.mark.django_db

SMALL_LIMIT = 1024


@pytest.fixture(autouse=True)
def _login_throttle_forgets_these_logins():
    # Some cases post to the login endpoint; its throttle (in the cache) must not count them later.
    yield
    cache.clear()


def json_error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json", response.content[:300]
    return json.loads(response.content)


def assert_error_shape(body: dict, code: str) -> None:
    assert set(body) <= {"detail", "code", "errors"}
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]


def assert_v1_error(body: dict, code: str) -> None:
    assert set(body) == {"status", "error"}
    assert body["status"] == "error"
    assert_error_shape(body["error"], code)


# --- unmatched URLs --------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v2/no-such-thing/", "/api/v2/isp/nothing", "/api/nothing", "/api/"])
def test_unmatched_api_url_is_a_json_404(api, url):
    assert_error_shape(json_error(api.get(url), 404), "not_found")
    assert_error_shape(json_error(api.post(url, {}, format="json"), 404), "not_found")


def test_unmatched_v1_url_is_a_404_in_the_v1_envelope(api):
    assert_v1_error(json_error(api.get("/api/v1/no-such-thing"), 404), "not_found")


def test_unmatched_page_is_still_html(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# --- 405 ----------------------------------------------------------------------------------------


def test_wrong_method_is_a_json_405(api):
    body = json_error(api.delete("/api/v2/me"), 405)
    assert_error_shape(body, "method_not_allowed")
    assert_error_shape(json_error(api.put("/api/v2/auth/login", {}, format="json"), 405), "method_not_allowed")


def test_wrong_method_in_v1_is_a_405_in_the_envelope(api):
    assert_v1_error(json_error(api.put("/api/v1/subscribers", {}, format="json"), 405), "method_not_allowed")


# --- CSRF ---------------------------------------------------------------------------------------


@csrf_exempt
def read_form(request):
    """A plain Django view under /api/ that reads a form body (Django enforces the size limit)."""
    return HttpResponse(request.POST.get("x", ""))


def plain_post(request):
    """A plain Django view under /api/ with Django's CSRF protection (not a DRF view)."""
    return HttpResponse("ok")


urlpatterns = [
    path("api/v2/plain/", plain_post),
    path("api/v2/read-form/", read_form),
    path("plain/", plain_post),
    path("", include(portal_urls)),
]
handler400 = portal_urls.handler400
handler403 = portal_urls.handler403
handler404 = portal_urls.handler404
handler500 = portal_urls.handler500


@pytest.fixture
def session_browser(noc_user):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(noc_user)
    return browser


def test_session_post_without_csrf_token_under_v1_is_json(session_browser):
    body = json_error(session_browser.post("/api/v1/no-such-thing", {"a": "b"}), 403)
    assert_v1_error(body, "csrf_failed")


@pytest.mark.urls(__name__)
def test_session_post_without_csrf_token_under_v2_is_json(session_browser):
    assert_error_shape(json_error(session_browser.post("/api/v2/plain/", {"a": "b"}), 403), "csrf_failed")
    # Outside /api/ the failure is still Django's page.
    page = session_browser.post("/plain/", {"a": "b"})
    assert page.status_code == 403
    assert page["Content-Type"].startswith("text/html")


def test_login_form_without_csrf_token_is_still_an_html_page():
    response = Client(enforce_csrf_checks=True).post("/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")


# --- 413 ----------------------------------------------------------------------------------------


@pytest.fixture
def small_uploads(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = SMALL_LIMIT


def test_oversized_json_body_is_a_json_413(api, small_uploads):
    payload = {"cpename": "x" * (SMALL_LIMIT * 2)}
    body = json_error(api.post("/api/v2/isp/cpes/", payload, format="json"), 413)
    assert_error_shape(body, "request_too_large")


def test_oversized_json_body_in_v1_is_a_413_in_the_envelope(api, small_uploads):
    payload = {"name": "x" * (SMALL_LIMIT * 2)}
    assert_v1_error(json_error(api.post("/api/v1/subscribers", payload, format="json"), 413), "request_too_large")


def test_oversized_form_login_is_a_json_413(small_uploads):
    response = Client().post(
        "/api/v2/auth/login",
        "username=noc&password=" + "x" * (SMALL_LIMIT * 2),
        content_type="application/x-www-form-urlencoded",
    )
    assert_error_shape(json_error(response, 413), "request_too_large")


@pytest.mark.urls(__name__)
def test_oversized_form_to_a_plain_api_view_is_a_json_413(small_uploads):
    response = Client().post(
        "/api/v2/read-form/", "x=" + "y" * (SMALL_LIMIT * 2), content_type="application/x-www-form-urlencoded"
    )
    assert_error_shape(json_error(response, 413), "request_too_large")


def test_a_body_within_the_limit_still_works(api, small_uploads):
    response = api.post("/api/v2/isp/cpes/", {"cpename": "x"}, format="json")
    assert response.status_code == 400  # validation, not the size
    assert response.json()["code"] == "invalid"


# --- 500 ----------------------------------------------------------------------------------------


def explode(*args, **kwargs):
    raise RuntimeError("boom")


def test_unexpected_error_in_v2_is_a_json_500(monkeypatch, noc_user, api_as):
    monkeypatch.setattr(MeView, "get", explode)
    client = api_as(noc_user)
    client.raise_request_exception = False
    body = json_error(client.get("/api/v2/me"), 500)
    assert_error_shape(body, "server_error")
    assert "boom" not in body["detail"]


def test_unexpected_error_in_v1_is_a_500_in_the_envelope(monkeypatch, api):
    monkeypatch.setattr(SubscriberViewSet, "list", explode)
    api.raise_request_exception = False
    assert_v1_error(json_error(api.get("/api/v1/subscribers"), 500), "server_error")


def test_unexpected_error_on_a_page_is_still_html(monkeypatch, noc_user):
    monkeypatch.setattr(DashboardView, "get_context_data", explode)
    browser = Client(raise_request_exception=False)
    browser.force_login(noc_user)
    response = browser.get("/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
