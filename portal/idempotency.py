"""The ``Idempotency-Key`` header, one way for every write a client may retry (payments, device actions).

A client that sends the same key again gets the first request's record back
("replayed") instead of a second record; the same key with a different
request is an :class:`IdempotencyConflict` (the APIs answer 409). Keys are
unique per tenant in the database (a partial unique index on the resource's
``idempotency_key``), so two requests racing on one key end with one row:
the loser's ``IntegrityError`` becomes a replay of the winner's row.

One limit for every resource: :data:`MAX_KEY_LENGTH` = 255 characters (the
``idempotency_key`` columns of payments and device actions). A longer key is
refused, never silently cut: two keys that differ after the cut would
otherwise replay each other.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from rest_framework import serializers

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255

Record = TypeVar("Record")


class IdempotencyConflict(Exception):
    """The Idempotency-Key was already used for a different request."""


def key_from(request) -> str:
    """The request's key, stripped (``""`` without one); a key over the limit is a 400 naming the header."""
    key = request.headers.get(HEADER, "").strip()
    if len(key) > MAX_KEY_LENGTH:
        raise serializers.ValidationError({HEADER: [f"At most {MAX_KEY_LENGTH} characters."]})
    return key


def fingerprint(data: Any) -> str:
    """SHA-256 of a canonical JSON form of a request body (key order and spacing do not matter)."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def replay_or_create(
    key: str,
    *,
    find: Callable[[str], Record | None],
    create: Callable[[], Record],
    conflict: Callable[[Record], str],
    check: Callable[[], None] | None = None,
) -> tuple[Record, bool]:
    """The record a key already names (``created`` False), or a new one; ``(record, created)``.

    ``find(key)``: the tenant's record with that key, or None. ``create()``:
    makes the record (it runs in a transaction; it may raise the resource's own
    refusals). ``conflict(first)``: why the first record answers a different
    request (``""`` when it is the same request) — raised as IdempotencyConflict.
    ``check()``: refusals to raise after the key lookup (a replay wins over
    them) and before any transaction opens. Without a key, ``create()`` simply runs.
    """
    if key:
        first = find(key)
        if first is not None:
            return _replay(first, conflict), False
    if check is not None:
        check()
    try:
        with transaction.atomic():
            record = create()
    except IntegrityError:
        # A concurrent request with the same key committed first: its row answers both.
        first = find(key) if key else None
        if first is None:
            raise
        return _replay(first, conflict), False
    return record, True


def _replay(first: Record, conflict: Callable[[Record], str]) -> Record:
    reason = conflict(first)
    if reason:
        raise IdempotencyConflict(reason)
    return first
