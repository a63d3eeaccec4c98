"""Secrets encrypted at rest: device passwords, PPPoE/Wi-Fi/SIP secrets.

Fernet (AES-128-CBC + HMAC) from ``cryptography``, keyed by
``FIELD_ENCRYPTION_KEYS`` (comma-separated; the first encrypts, all decrypt,
so keys can be rotated). Without configured keys a key is derived from
SECRET_KEY — fine for the demo, refused by ``check --deploy``. How a secret is shown
(masked): portal.secrets.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

PREFIX = "enc1:"


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if not keys:
        derived = base64.urlsafe_b64encode(hashlib.sha256(("noc-portal-fields:" + secret_key).encode()).digest())
        keys = (derived.decode(),)
    return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS), settings.SECRET_KEY)


def encrypt(value: str) -> str:
    return PREFIX + fernet().encrypt(value.encode()).decode()


def decrypt(value: str) -> str:
    if not value.startswith(PREFIX):
        return value  # legacy/plain rows (never written by the portal)
    try:
        return fernet().decrypt(value[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise ValueError("cannot decrypt a stored secret: wrong FIELD_ENCRYPTION_KEYS?") from exc


class EncryptedTextField(models.TextField):
    """A text column whose value is Fernet-encrypted in the database.

    Python code sees plain text; the database sees ``enc1:<token>``. Not
    searchable or filterable by design.
    """

    description = "Encrypted text"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
