"""HMAC-SHA256 request signatures, shared by the SMS adapter, webhooks and the gateway stand-in.

The signature covers `<timestamp>.<body>`, so a captured request cannot be replayed with another
body, and a receiver can refuse stale timestamps.
"""

from __future__ import annotations

import hashlib
import hmac

TIMESTAMP_HEADER = "X-Xinfang-Timestamp"
SIGNATURE_HEADER = "X-Xinfang-Signature"


def sign(*, secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` over timestamp, a dot, and the body."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(*, secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret=secret, timestamp=timestamp, body=body), signature)
