"""Builders and helpers for tests: events with sensible defaults, publishing, waiting."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from xinfang.common.events import (
    Envelope,
    Event,
    PetitionerRef,
    PetitionReceived,
    PetitionRouted,
    new_envelope,
)

T = TypeVar("T")

DEFAULT_TIME = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def a_case_no() -> str:
    """A random case number, so tests sharing a NATS server never see each other's cases."""
    return f"XF20260302{secrets.randbelow(10**6):06d}T{secrets.token_hex(3).upper()}"


def a_petition_received(**overrides: Any) -> PetitionReceived:
    fields: dict[str, Any] = {
        "case_no": a_case_no(),
        "channel": "web",
        "received_at": DEFAULT_TIME,
        "region_code": "369901",
        "category_code": "140000",
        "title": "小区夜间施工噪音扰民",
        "content": "某工地连续多日夜间施工，噪音严重影响居民休息，请求依法处理。",
        "petitioners": [
            PetitionerRef(ref="ref-1", name_masked="张*丰", phone_masked="138****8000")
        ],
    }
    return PetitionReceived(**(fields | overrides))


def a_petition_routed(**overrides: Any) -> PetitionRouted:
    fields: dict[str, Any] = {
        "case_no": a_case_no(),
        "department_code": "C_HOUSING",
        "department_name": "江宁市住房和城乡建设局",
        "rule": "category:140000",
        "reason": "内容分类「城乡建设」由江宁市住房和城乡建设局主管",
        "routed_at": DEFAULT_TIME,
    }
    return PetitionRouted(**(fields | overrides))


def envelope_of(event: Event, *, time: datetime | None = None) -> Envelope:
    return new_envelope(event, source="/xinfang/test", time=time or DEFAULT_TIME)


async def publish(js: Any, envelope: Envelope, *, subject: str | None = None) -> None:
    """Publish an envelope to JetStream as a service's relay would."""
    from xinfang.common.events import event_class

    subject = subject or event_class(envelope.type).model_validate(envelope.data).nats_subject()
    await js.publish(
        subject, envelope.model_dump_json().encode(), headers={"Nats-Msg-Id": envelope.id}
    )


async def eventually(
    probe: Callable[[], Awaitable[T]], *, within: float = 10.0, interval: float = 0.05
) -> T:
    """Call `probe` until it returns something truthy; the last value, or AssertionError."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await probe()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {within}s (last value {value!r})")
        await asyncio.sleep(interval)
