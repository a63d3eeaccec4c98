"""Krill's pagination: ``limit``/``offset`` answering ``{count, next, previous, results}``.

``next``/``previous`` are absolute URLs that keep every other query
parameter (DRF's LimitOffsetPagination already builds them from
``request.build_absolute_uri()``); this class only fixes the limits.
"""

from rest_framework.pagination import LimitOffsetPagination


class KrillPagination(LimitOffsetPagination):
    default_limit = 20
    max_limit = 1000
