"""The API's JSON parser: DRF's, plus a 400 for JSON nested deeper than the interpreter can decode,
and a 413 for a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``.

``json.loads`` of ``[[[[...]]]]`` 50,000 levels deep raises RecursionError,
which DRF's parser does not catch (it only turns ValueError into a 400), so
such a body used to be a 500. No Krill or ISPChamp record nests more than a
few levels; anything deeper than :data:`MAX_DEPTH` is refused too, before a
serializer walks it.

DRF reads a JSON body straight from the request stream, so Django's
``DATA_UPLOAD_MAX_MEMORY_SIZE`` (enforced on ``request.body`` and forms) never
applied to it: the parser checks the declared length itself.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework import exceptions, parsers, status
from rest_framework.exceptions import ParseError

MAX_DEPTH = 64


class PayloadTooLarge(exceptions.APIException):
    """A 413: the body is over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (Django would call it a 400).

    Here rather than in portal.api.errors: DRF imports its parsers while
    ``rest_framework.views`` is still loading, and errors imports that module.
    """

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"
    default_detail = "The request body is larger than this API accepts."


def _depth_exceeds(value, limit: int) -> bool:
    # Iterative, so checking a deep document cannot itself hit the recursion limit.
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if request is not None and limit is not None:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                raise PayloadTooLarge()
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.") from None
        if _depth_exceeds(data, MAX_DEPTH):
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.")
        return data
