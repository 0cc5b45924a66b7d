"""Attachments stored by content hash: one file per distinct content, type and size checked."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

# What the file really is, from its first bytes: a declared type is never trusted alone.
_MAGIC = {
    b"%PDF-": "application/pdf",
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
}


def sniff(data: bytes) -> str | None:
    """The content type of `data` from its signature; UTF-8 text counts as text/plain."""
    for magic, content_type in _MAGIC.items():
        if data.startswith(magic):
            return content_type
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "text/plain" if "\x00" not in text else None


class AttachmentStore:
    """Files under `root/<first two hex>/<sha256>`; writing the same content twice is a no-op."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_of(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def save(self, data: bytes) -> str:
        """Store `data` (atomically) and return its SHA-256."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.path_of(digest)
        if target.exists():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=target.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(temp, target)
        return digest

    def read(self, sha256: str) -> bytes:
        return self.path_of(sha256).read_bytes()
