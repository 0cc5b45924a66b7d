"""Keyed encryption of personal data (rotatable) and keyed hashes for matching and references."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


def derive_key(secret: str, purpose: str) -> str:
    """A Fernet key derived from a secret, for development defaults and tests."""
    digest = hashlib.sha256(f"{purpose}:{secret}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


class Sealer:
    """Encrypts with the first key, decrypts with any: put a new key first to rotate."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one key is required")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    def seal(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("sealed value cannot be opened with the configured keys") from exc

    def rotate(self, sealed: str) -> str:
        """Re-encrypt under the current (first) key."""
        return self._fernet.rotate(sealed.encode()).decode()


def keyed_hash(value: str, *, key: str) -> str:
    """HMAC-SHA256 hex of `value`: matches equal values without storing them."""
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time comparison."""
    return hmac.compare_digest(a.encode(), b.encode())
