"""One JSON error shape for the whole API.

``{"detail": "<human sentence>", "code": "<machine code>"}`` and, for
validation errors, ``"errors": {"<field>": ["<message>", ...]}`` (non-field
errors under ``"non_field_errors"``). Dialects that need an envelope (ISPChamp
v1) wrap this shape; they do not invent another.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .parsers import PayloadTooLarge


class Conflict(exceptions.APIException):
    """A 409: the request clashes with the current state (a referenced record, a reused Idempotency-Key...)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The request conflicts with the current state."


def _first_message(errors) -> str:
    if isinstance(errors, dict):
        for key, value in errors.items():
            message = _first_message(value)
            if message:
                return message if key == "non_field_errors" else f"{key}: {message}"
    elif isinstance(errors, list):
        for value in errors:
            message = _first_message(value)
            if message:
                return message
    elif errors:
        return str(errors)
    return ""


def error_payload(exc: exceptions.APIException) -> dict:
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        return {
            "detail": f"Invalid input: {_first_message(detail)}" if detail else "Invalid input.",
            "code": "invalid",
            "errors": detail,
        }
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else getattr(exc, "default_code", "error")
    return {"detail": str(exc.detail), "code": code}


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, RequestDataTooBig):  # a form body read by Django (JSON: portal.api.parsers)
        exc = PayloadTooLarge()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django's 500 handling and logging
    if isinstance(exc, exceptions.APIException):
        response.data = error_payload(exc)
    return response


def error_response(detail: str, code: str, http_status: int = status.HTTP_400_BAD_REQUEST, **extra) -> Response:
    return Response({"detail": detail, "code": code, **extra}, status=http_status)
