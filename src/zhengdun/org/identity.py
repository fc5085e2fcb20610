"""Encryption and keyed look-up hashes for personal identifiers.

ID numbers are guessable (a region, a birth date, a sequence), so a plain hash would
leak them: look-up uses HMAC-SHA256 under a key held apart from the encryption key.
"""

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

_VERSION = "v1"


def encrypt(plain: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(settings.ID_ENCRYPTION_KEY).encrypt(nonce, plain.encode(), _VERSION.encode())
    return f"{_VERSION}:{base64.b64encode(nonce + sealed).decode()}"


def decrypt(token: str) -> str:
    if not token:
        return ""
    version, _, body = token.partition(":")
    raw = base64.b64decode(body)
    return AESGCM(settings.ID_ENCRYPTION_KEY).decrypt(raw[:12], raw[12:], version.encode()).decode()


def lookup_hash(normalized: str) -> str:
    return hmac.new(settings.ID_HMAC_KEY, normalized.encode(), hashlib.sha256).hexdigest()
