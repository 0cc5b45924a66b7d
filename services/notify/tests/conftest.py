"""Builders shared by notify's tests: the intake and routing events notify consumes."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any

import pytest

from xinfang.common.crypto import Sealer, derive_key
from xinfang.common.events import (
    Envelope,
    Event,
    PetitionerRef,
    PetitionReceived,
    PetitionRouted,
    new_envelope,
)
from xinfang.notify.settings import DEV_SECRET

REGISTERED_AT = datetime(2026, 11, 22, 1, 30, tzinfo=UTC)
ROUTED_AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


class Petitions:
    """Builds the events of a petition, with random case numbers (the NATS server is shared)."""

    def __init__(self, notice_key: str) -> None:
        self.sealer = Sealer([notice_key])

    def person(self, **overrides: Any) -> dict[str, Any]:
        """A petitioner's contact details as intake seals them."""
        person = {"name": "张三丰", "email": "zhang.sanfeng@example.cn", "phone": "13800138000"}
        return person | overrides

    def case_no(self) -> str:
        return f"XF2026{secrets.randbelow(10**10):010d}"

    def sealed(self, *people: dict[str, Any], query_code: str = "QRSTUV2345") -> str:
        contacts = {"query_code": query_code, "contacts": list(people)}
        return self.sealer.seal(json.dumps(contacts, ensure_ascii=False))

    def received(self, case_no: str, *people: dict[str, Any], **overrides: Any) -> PetitionReceived:
        people = people or (self.person(),)
        fields: dict[str, Any] = {
            "case_no": case_no,
            "channel": "web",
            "received_at": REGISTERED_AT,
            "region_code": "320115",
            "category_code": "110100",
            "title": "小区门口道路长期积水",
            "content": "雨后积水没过脚踝，出行不便，请有关部门尽快处理。",
            "petitioners": [
                PetitionerRef(ref=f"ref{i}", name_masked="张*丰") for i, _ in enumerate(people)
            ],
            "contact_sealed": self.sealed(*people),
        }
        return PetitionReceived(**(fields | overrides))

    def routed(self, case_no: str, **overrides: Any) -> PetitionRouted:
        fields: dict[str, Any] = {
            "case_no": case_no,
            "department_code": "320115-ZJJ",
            "department_name": "江宁区住房和城乡建设局",
            "mode": "forward",
            "rule": "category:110100",
            "reason": "城市道路积水属住房和城乡建设部门职责",
            "routed_at": ROUTED_AT,
        }
        return PetitionRouted(**(fields | overrides))

    def envelope(self, event: Event, *, time: datetime | None = None) -> Envelope:
        """A fresh envelope, as another service's relay would publish the event."""
        return new_envelope(event, source="/test", time=time or datetime.now(UTC))


@pytest.fixture
def petitions() -> Petitions:
    return Petitions(derive_key(DEV_SECRET, "notice"))
