"""Django's error views, answering JSON under ``/api/``.

DRF answers its own views' errors (portal.api.errors). What it never sees —
an unmatched URL, a CSRF failure of a non-DRF view, a body over
``DATA_UPLOAD_MAX_MEMORY_SIZE`` rejected by Django, an unexpected exception —
went to Django's HTML pages, which generated API clients cannot read. Under
``/api/`` these views answer the documented error shape instead
(``{"detail", "code"}``, in the v1 envelope under ``/api/v1/``); everywhere
else they are Django's own views.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import csrf, defaults

API_PREFIX = "/api/"
V1_PREFIX = "/api/v1/"
PAYLOAD_TOO_LARGE = 413
TOO_LARGE_DETAIL = "The request body is larger than this API accepts."


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def api_error(request: HttpRequest, status: int, detail: str, code: str) -> JsonResponse:
    """The portal's error shape, wrapped in the ISPChamp envelope under /api/v1/."""
    error = {"detail": detail, "code": code}
    body = {"status": "error", "error": error} if request.path_info.startswith(V1_PREFIX) else error
    return JsonResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if not is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        # Django calls an oversized body a bad request (400); HTTP has a code for it.
        return api_error(request, PAYLOAD_TOO_LARGE, TOO_LARGE_DETAIL, "request_too_large")
    return api_error(request, 400, "Bad request.", "bad_request")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if not is_api(request):
        return defaults.permission_denied(request, exception)
    return api_error(request, 403, "You do not have permission to perform this action.", "permission_denied")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if not is_api(request):
        return defaults.page_not_found(request, exception)
    return api_error(request, 404, "No such API endpoint.", "not_found")


def server_error(request: HttpRequest) -> HttpResponse:
    if not is_api(request):
        return defaults.server_error(request)
    return api_error(request, 500, "Server error; it has been logged.", "server_error")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: a cookie-authenticated unsafe request without a valid CSRF token."""
    if not is_api(request):
        return csrf.csrf_failure(request, reason)
    return api_error(
        request,
        403,
        f"CSRF check failed ({reason}). API clients authenticate with a bearer token, not a session cookie.",
        "csrf_failed",
    )
