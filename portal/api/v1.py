"""ISPChamp v1 dialect plumbing: one envelope for every answer of ``/api/v1/``.

Success::

    {"status": "success", "data": <object or list>, "meta": {"pagination": {...}}}

Error (the portal's one error shape, portal.api.errors, wrapped)::

    {"status": "error", "error": {"detail": "...", "code": "...", "errors": {...}}}

Every v1 view inherits :class:`V1Mixin` (before the tenant gate's mixin):
``Authorization: Bearer`` and ``X-Tenant-ID`` are mandatory (a missing
header is a 400 ``tenant_required``, a tenant the caller does not belong to
a 403), lists paginate with ``limit``/``offset`` into ``meta.pagination``,
business ``ValidationError``s from services become 400s, and
drf-spectacular documents the envelope (:class:`V1AutoSchema`).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.urls import re_path
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from .errors import Conflict
from .errors import exception_handler as portal_exception_handler

__all__ = [
    "Conflict",
    "V1AutoSchema",
    "V1Mixin",
    "V1Pagination",
    "V1Router",
    "v1_exception_handler",
    "v1_not_found_pattern",
]


class V1Pagination(LimitOffsetPagination):
    """``limit``/``offset``; the page's figures go to ``meta.pagination`` and the rows to ``data``."""

    default_limit = 20
    max_limit = 1000

    def get_paginated_response(self, data):
        response = Response(data)
        response.v1_meta = {
            "pagination": {
                "count": self.count,
                "limit": self.limit,
                "offset": self.offset,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
            }
        }
        return response

    def get_paginated_response_schema(self, schema: dict) -> dict:
        # The envelope (V1AutoSchema) adds status and meta around the rows.
        return schema


def _django_validation_detail(exc: DjangoValidationError) -> Any:
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
    return {"non_field_errors": list(exc.messages)}


def v1_exception_handler(exc, context):
    """The portal's error shape; services' Django ValidationErrors become 400s too."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_django_validation_detail(exc))
    return portal_exception_handler(exc, context)


def envelope(response: Response) -> Response:
    """Wrap a DRF response's data in the v1 envelope (once)."""
    if getattr(response, "v1_wrapped", False) or response.status_code == status.HTTP_204_NO_CONTENT:
        return response
    if response.status_code >= 400:
        error = response.data if isinstance(response.data, dict) else {"detail": str(response.data), "code": "error"}
        response.data = {"status": "error", "error": error}
    else:
        response.data = {"status": "success", "data": response.data, "meta": getattr(response, "v1_meta", {})}
    response.v1_wrapped = True
    return response


class V1Mixin:
    """Put first in a v1 view's bases: envelope, mandatory tenant header, pagination, errors."""

    tenant_header_required = True
    pagination_class = V1Pagination
    schema = None  # set below (drf-spectacular reads the class attribute)

    def get_exception_handler(self):
        return v1_exception_handler

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(response, Response):
            envelope(response)
        return response


# --- OpenAPI ------------------------------------------------------------------

ERROR_COMPONENT = "V1Error"
PAGINATION_COMPONENT = "V1Pagination"

_ERROR_SCHEMA = {
    "type": "object",
    "required": ["status", "error"],
    "properties": {
        "status": {"type": "string", "enum": ["error"]},
        "error": {
            "type": "object",
            "required": ["detail", "code"],
            "properties": {
                "detail": {"type": "string", "description": "A sentence for humans."},
                "code": {"type": "string", "description": "A machine code: invalid, tenant_required, not_found..."},
                "errors": {
                    "type": "object",
                    "description": "Validation errors per field (non-field ones under non_field_errors).",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
    "example": {
        "status": "error",
        "error": {
            "detail": "Invalid input: name: This field is required.",
            "code": "invalid",
            "errors": {"name": ["This field is required."]},
        },
    },
}
_PAGINATION_SCHEMA = {
    "type": "object",
    "properties": {
        "count": {"type": "integer", "example": 123},
        "limit": {"type": "integer", "example": 20},
        "offset": {"type": "integer", "example": 40},
        "next": {"type": "string", "format": "uri", "nullable": True},
        "previous": {"type": "string", "format": "uri", "nullable": True},
    },
}
_PAGINATION_EXAMPLE = {
    "count": 123,
    "limit": 20,
    "offset": 40,
    "next": "https://noc.example.net/api/v1/subscribers?limit=20&offset=60",
    "previous": "https://noc.example.net/api/v1/subscribers?limit=20&offset=20",
}
_ERROR_DESCRIPTIONS = {
    "400": "Invalid input, or the X-Tenant-ID header is missing (code tenant_required).",
    "401": "No, or an invalid, bearer token.",
    "403": "Not a member of the X-Tenant-ID tenant, or the role/token scope does not allow it.",
    "404": "No such object in this tenant.",
}


class V1AutoSchema(AutoSchema):
    """Documents the v1 envelope around every response body, plus the error answers."""

    extra_error_codes: tuple[str, ...] = ()

    def get_tags(self) -> list[str]:
        # /api/v1/<area>/... → "v1 <area>" (subscribers, billing, support).
        parts = [p for p in self.path.split("/") if p and not p.startswith("{")]
        area = parts[parts.index("v1") + 1] if "v1" in parts and parts.index("v1") + 1 < len(parts) else "v1"
        return [f"v1 {area}"]

    def _component(self, name: str, schema: dict) -> dict:
        component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema)
        self.registry.register_on_missing(component)
        return component.ref

    def get_override_parameters(self):
        return [
            *super().get_override_parameters(),
            OpenApiParameter(
                "X-Tenant-ID",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="Tenant slug or numeric id; must be one the caller belongs to.",
            ),
        ]

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        list_view = self._is_list_view()
        for code, response in responses.items():
            if not code.startswith("2"):
                continue
            for media in response.get("content", {}).values():
                meta: dict = {"type": "object"}
                if list_view:
                    meta = {
                        "type": "object",
                        "properties": {"pagination": self._component(PAGINATION_COMPONENT, _PAGINATION_SCHEMA)},
                    }
                for example in media.get("examples", {}).values():
                    # Examples are written as the data; show them inside the envelope.
                    if "value" in example:
                        example["value"] = {
                            "status": "success",
                            "data": example["value"],
                            "meta": {"pagination": _PAGINATION_EXAMPLE} if list_view else {},
                        }
                media["schema"] = {
                    "type": "object",
                    "required": ["status", "data"],
                    "properties": {
                        "status": {"type": "string", "enum": ["success"]},
                        "data": media.get("schema", {}),
                        "meta": meta,
                    },
                }
        error_ref = self._component(ERROR_COMPONENT, _ERROR_SCHEMA)
        codes = ["400", "401", "403", *(["404"] if "{" in self.path else []), *self.extra_error_codes]
        view_codes = getattr(self.view, "v1_error_codes", {})
        for code in codes + list(view_codes):
            responses.setdefault(
                code,
                {
                    "description": view_codes.get(code) or _ERROR_DESCRIPTIONS.get(code, "Error"),
                    "content": {"application/json": {"schema": error_ref}},
                },
            )
        return responses


V1Mixin.schema = V1AutoSchema()


class V1Router(SimpleRouter):
    """ISPChamp v1 routes from viewsets: ``subscribers``, ``subscribers/<id>``, ``subscribers/<id>/activate``.

    Paths answer with and without the trailing slash (the seed writes both),
    ids are numeric, and URL names are ``<basename>-list``, ``<basename>-detail``
    and ``<basename>-<action url_name>`` (``v1-subscriber-activate``).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # SimpleRouter(trailing_slash=...) turns any truthy value into "/".
        self.trailing_slash = "/?"
        # Ids are numbers (a viewset's lookup_value_regex still wins).
        self._default_value_pattern = r"\d+"


def v1_not_found(request, *args, **kwargs) -> JsonResponse:
    """Any other path under /api/v1/: a 404 in the v1 envelope rather than an HTML page."""
    return JsonResponse(
        {"status": "error", "error": {"detail": "No such API v1 endpoint.", "code": "not_found"}}, status=404
    )


def v1_not_found_pattern():
    return re_path(r"^.*$", v1_not_found, name="v1-not-found")
