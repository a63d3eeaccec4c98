"""The API's JSON parser: DRF's, plus a 400 for JSON nested deeper than the interpreter can decode.

``json.loads`` of ``[[[[...]]]]`` 50,000 levels deep raises RecursionError,
which DRF's parser does not catch (it only turns ValueError into a 400), so
such a body used to be a 500. No Krill or ISPChamp record nests more than a
few levels; anything deeper than :data:`MAX_DEPTH` is refused too, before a
serializer walks it.
"""

from __future__ import annotations

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 64


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
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.") from None
        if _depth_exceeds(data, MAX_DEPTH):
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.")
        return data
