"""Field encryption at rest (reporters' identities, complainants' contact data).

Fernet (AES-128-CBC + HMAC-SHA256) with a key from configuration; the embedded default
generates one into the instance folder, never into the repository.
"""
from __future__ import annotations

import hashlib
import hmac
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


def generate_key() -> str:
    return Fernet.generate_key().decode()


class FieldCipher:
    """Encrypts a dict of personal fields as one token; several keys allow rotation (first encrypts)."""

    def __init__(self, keys: str | list[str]):
        if isinstance(keys, str):
            keys = [k.strip() for k in keys.split(",") if k.strip()]
        if not keys:
            raise ValueError("FIELD_ENCRYPTION_KEY is not configured")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])
        self._blind_key = hashlib.sha256(b"search-key:" + keys[0].encode()).digest()

    def blind(self, text: str) -> str:
        """A keyed hash of a personal value, so search can find it without storing it readable
        (search keys made before a key rotation no longer match)."""
        return hmac.new(self._blind_key, text.encode(), hashlib.sha256).hexdigest()[:24]

    def seal(self, values: dict) -> bytes:
        return self._fernet.encrypt(json.dumps(values, ensure_ascii=False).encode())

    def open(self, token: bytes) -> dict:
        try:
            return json.loads(self._fernet.decrypt(token))
        except InvalidToken as exc:
            raise ValueError("personal data cannot be decrypted with the configured keys") from exc

    def seal_bytes(self, content: bytes) -> bytes:
        """Files (evidence, reporters' uploads) are encrypted at rest like personal fields."""
        return self._fernet.encrypt(content)

    def open_bytes(self, token: bytes) -> bytes:
        if not token:  # erased under the retention rules
            return b""
        try:
            return self._fernet.decrypt(token)
        except InvalidToken as exc:
            raise ValueError("a file cannot be decrypted with the configured keys") from exc

    def rotate(self, token: bytes) -> bytes:
        """The same values encrypted with the first key (MultiFernet: any listed key decrypts)."""
        try:
            return self._fernet.rotate(token)
        except InvalidToken as exc:
            raise ValueError("personal data cannot be decrypted with the configured keys") from exc
