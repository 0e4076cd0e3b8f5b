"""Field-level encryption of personal data (PIPL Arts 28, 51) and keyed hashes for look-ups.

Values are sealed with AES-256-GCM under FIELD_ENCRYPTION_KEY; a random 96-bit nonce per value.
Look-ups (find a party by ID number or phone) use HMAC-SHA256 under a separate LOOKUP_HASH_KEY,
so the database never holds the clear value nor an unkeyed hash that could be brute-forced
(ID numbers have little entropy).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import models

_PREFIX = "v1:"


@lru_cache(maxsize=4)
def _aead(key: bytes) -> AESGCM:
    return AESGCM(key)


def encrypt(value: str) -> str:
    if value == "":
        return ""
    nonce = os.urandom(12)
    sealed = _aead(settings.FIELD_ENCRYPTION_KEY).encrypt(nonce, value.encode("utf-8"), None)
    return _PREFIX + base64.b64encode(nonce + sealed).decode("ascii")


def decrypt(token: str) -> str:
    if not token:
        return ""
    if not token.startswith(_PREFIX):
        raise ValueError("value is not encrypted with a known scheme")
    raw = base64.b64decode(token[len(_PREFIX) :])
    try:
        return _aead(settings.FIELD_ENCRYPTION_KEY).decrypt(raw[:12], raw[12:], None).decode("utf-8")
    except InvalidTag as exc:
        raise ValueError("encrypted value does not match the key (wrong FIELD_ENCRYPTION_KEY?)") from exc


def lookup_hash(value: str) -> str:
    if not value:
        return ""
    return hmac.new(settings.LOOKUP_HASH_KEY, value.encode("utf-8"), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """A text column that holds ciphertext in the database and clear text in Python.

    It cannot be filtered on; store a lookup_hash beside it for that.
    """

    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None:
            return value
        return encrypt(value)
