"""The directory of staff recipients notify owns: each department's and leader's addresses and
preferred channel. Loaded from JSON (reference/recipients.json unless a setting names another)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_FILE = Path(__file__).parent / "reference" / "recipients.json"
STAFF_CHANNELS = ("webhook", "email", "sms")


@dataclass(frozen=True)
class Endpoint:
    """Where one department or leader is reached. The webhook secret never leaves memory."""

    ref: str
    name: str
    email: str | None = None
    sms: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    channel: str | None = None

    def address_for(self, channel: str) -> str | None:
        return {"email": self.email, "sms": self.sms, "webhook": self.webhook_url}.get(channel)

    def available(self) -> list[str]:
        return [c for c in STAFF_CHANNELS if self.address_for(c)]


@dataclass(frozen=True)
class Directory:
    departments: dict[str, Endpoint]
    leaders: list[Endpoint]

    def department(self, code: str) -> Endpoint | None:
        return self.departments.get(code)

    def leader(self, ref: str) -> Endpoint | None:
        return next((leader for leader in self.leaders if leader.ref == ref), None)

    def find(self, *, audience: str, ref: str) -> Endpoint | None:
        return self.department(ref) if audience == "department" else self.leader(ref)


def _endpoint(ref: str, data: dict) -> Endpoint:  # type: ignore[type-arg]
    hook = data.get("webhook") or {}
    return Endpoint(
        ref=ref,
        name=str(data.get("name") or ref),
        email=data.get("email"),
        sms=data.get("sms"),
        webhook_url=hook.get("url"),
        webhook_secret=hook.get("secret"),
        channel=data.get("channel"),
    )


def load_directory(path: str | Path | None = None) -> Directory:
    """Read a recipients file; the shipped demo one when `path` is empty."""
    data = json.loads(Path(path or DEFAULT_FILE).read_text(encoding="utf-8"))
    departments = {
        code: _endpoint(code, entry) for code, entry in data.get("departments", {}).items()
    }
    leaders = [_endpoint(str(entry["id"]), entry) for entry in data.get("leaders", [])]
    return Directory(departments=departments, leaders=leaders)
