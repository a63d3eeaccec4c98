"""portal.idempotency: one Idempotency-Key helper for payments and device actions."""

import pytest
from django.db import IntegrityError
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from portal.idempotency import (
    HEADER,
    MAX_KEY_LENGTH,
    IdempotencyConflict,
    fingerprint,
    key_from,
    replay_or_create,
)


def _request(key: str | None):
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return APIRequestFactory().post("/", **headers)


def test_key_is_stripped_and_optional():
    assert key_from(_request("  crm-7f3a ")) == "crm-7f3a"
    assert key_from(_request(None)) == ""


def test_one_limit_for_every_resource():
    assert key_from(_request("k" * MAX_KEY_LENGTH)) == "k" * MAX_KEY_LENGTH
    with pytest.raises(serializers.ValidationError) as refused:
        key_from(_request("k" * (MAX_KEY_LENGTH + 1)))
    assert HEADER in refused.value.detail


def test_fingerprint_ignores_key_order_and_spacing():
    assert fingerprint({"a": 1, "b": "2"}) == fingerprint({"b": "2", "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})


class Store:
    """Rows keyed like a table with a unique (tenant, key) index."""

    def __init__(self):
        self.rows: dict[str, dict] = {}

    def find(self, key):
        return self.rows.get(key)

    def creator(self, key, body, *, race_with=None):
        def create():
            if race_with is not None:  # another request committed the key first
                self.rows[key] = race_with
                raise IntegrityError("duplicate key")
            self.rows[key] = {"body": body}
            return self.rows[key]

        return create


def _same_body(body):
    return lambda first: "" if first["body"] == body else "used with another body"


@pytest.mark.django_db
def test_first_request_creates_and_a_retry_replays():
    store = Store()
    first, created = replay_or_create("k1", find=store.find, create=store.creator("k1", 1), conflict=_same_body(1))
    again, created_again = replay_or_create(
        "k1", find=store.find, create=store.creator("k1", 1), conflict=_same_body(1)
    )
    assert (created, created_again) == (True, False) and again is first


@pytest.mark.django_db
def test_same_key_other_request_is_a_conflict():
    store = Store()
    replay_or_create("k1", find=store.find, create=store.creator("k1", 1), conflict=_same_body(1))
    with pytest.raises(IdempotencyConflict, match="another body"):
        replay_or_create("k1", find=store.find, create=store.creator("k1", 2), conflict=_same_body(2))


@pytest.mark.django_db
def test_a_race_on_one_key_answers_with_the_winner():
    store, winner = Store(), {"body": 1}
    record, created = replay_or_create(
        "k1", find=store.find, create=store.creator("k1", 1, race_with=winner), conflict=_same_body(1)
    )
    assert record is winner and created is False


@pytest.mark.django_db
def test_check_runs_after_the_lookup_so_a_replay_wins_over_a_refusal():
    store = Store()
    replay_or_create("k1", find=store.find, create=store.creator("k1", 1), conflict=_same_body(1))

    def refuse():
        raise ValueError("refused")

    _, created = replay_or_create(
        "k1", find=store.find, create=store.creator("k1", 1), conflict=_same_body(1), check=refuse
    )
    assert created is False
    with pytest.raises(ValueError):
        replay_or_create("k2", find=store.find, create=store.creator("k2", 1), conflict=_same_body(1), check=refuse)


@pytest.mark.django_db
def test_without_a_key_every_request_creates():
    store = Store()
    _, created = replay_or_create("", find=store.find, create=store.creator("", 1), conflict=_same_body(1))
    assert created is True
