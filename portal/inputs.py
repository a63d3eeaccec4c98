"""Bounded parsing of what a caller types into a query string or a body: bad values are a 400, never a 500.

An id, a count or a date a caller sends ends up in SQL or in date arithmetic.
Python's ``int()`` accepts ``²`` as a digit it cannot convert and numbers of
any size, and ``datetime`` overflows near the ends of its range; either way
the request used to die with a 500. Every filter and query parameter goes
through a form/filter field from here (or a plain Django/DRF field with
explicit bounds), and an invalid value answers 400 naming the parameter.
"""

from __future__ import annotations

from datetime import UTC, datetime

import django_filters
from django import forms
from rest_framework.exceptions import ValidationError

# Row ids are BigAutoField: the largest value both SQLite and PostgreSQL store.
MAX_ROW_ID = 2**63 - 1
# The longest "in the last N minutes" window a page offers sense for (ten years).
MAX_MINUTES = 10 * 366 * 24 * 60
# Aware datetimes within a day of datetime's range overflow when shifted to UTC or local time.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


class IdField(forms.IntegerField):
    """A row id: a whole number from 1 to :data:`MAX_ROW_ID` (ASCII digits only)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ROW_ID)
        super().__init__(**kwargs)

    def to_python(self, value):
        # int() takes Unicode digits (``٣``) and superscripts pass isdigit(): only ASCII ids are ids.
        if isinstance(value, str) and value.strip() and not value.strip().isascii():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class IdFilter(django_filters.NumberFilter):
    """A filter on a related row by plain id, bounded (a 23-digit id is a 400, not an overflow)."""

    field_class = IdField


class MinutesFilter(django_filters.NumberFilter):
    """A number of minutes from 0 to :data:`MAX_MINUTES` (``since=99999999999`` overflowed timedelta)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_MINUTES)
        super().__init__(*args, **kwargs)


def time_in_bounds(value: datetime) -> bool:
    """An aware datetime between :data:`EARLIEST` and :data:`LATEST`.

    ``9999-12-31T23:59:59-23:59`` parses, but is past datetime's end once in
    UTC: comparing it (or saving, or filtering by it) overflows.
    """
    try:
        return EARLIEST <= value <= LATEST
    except (OverflowError, TypeError):  # TypeError: a naive value
        return False


def parse_id(raw) -> int | None:
    """``raw`` as a row id, or None when it is not one (``²``, ``-1``, 23 digits, ``abc``)."""
    try:
        return IdField(required=False).clean(raw)
    except forms.ValidationError:
        return None


def query_value(params, name: str, field: forms.Field, default=None):
    """``params[name]`` cleaned by ``field``; a DRF 400 naming ``name`` when it does not validate."""
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        return field.clean(raw)
    except forms.ValidationError as exc:
        raise ValidationError({name: list(exc.messages)}) from None


def query_id(params, name: str):
    """An optional id query parameter (``?cpe=12``): None when absent, 400 when not an id."""
    return query_value(params, name, IdField(required=False))
