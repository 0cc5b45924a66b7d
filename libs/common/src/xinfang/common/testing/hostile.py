"""Hostile messages for a service's consumers, derived from what its subscriptions consume.

For every event type a subscription's subjects deliver: malformed JSON, JSON that is not an
object, a broken envelope, an unknown type, an unknown version, a missing and an invalid field,
another type published on its subject, an envelope naming another case than its data, personal
data in clear where the contract wants it masked, an event about a case never seen, and a payload
bigger than the stream accepts. A service's test publishes them to a real nats-server against its
real consumer runner (`assault`) and checks that each is kept aside, that nothing changed and that
the next good event is still applied; `replay` checks that an event delivered again changes
nothing, `older` makes late news.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import types
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, Union, get_args, get_origin

import httpx
import nats
from fastapi import FastAPI
from nats.js.api import DeliverPolicy
from pydantic import BaseModel, ValidationError
from sqlalchemy import MetaData, select
from sqlalchemy.engine import Connection

from xinfang.common.auth import Role, issue_token
from xinfang.common.db import Database
from xinfang.common.events import (
    CaseEvent,
    Envelope,
    Event,
    PetitionReceived,
    event_types,
    parse_event,
)
from xinfang.common.messaging.consumer import Subscription
from xinfang.common.messaging.provision import EVENTS_STREAM, MAX_EVENT_BYTES
from xinfang.common.testing.builders import DEFAULT_TIME, a_case_no, eventually

# Events that open a case: about an unknown case is what they always are.
OPENS_CASES = frozenset({PetitionReceived.TYPE})
NOT_OBJECTS = [b"[]", b"42", b'"xinfang.petition.received.v1"', b"null", b"true"]
MALFORMED = [b'{"specversion": "1.0", "id": ', b"", b"\xff\xfe\x00garbage", b'{"id": "a\x00b"}']
CLEAR = {"name": "张三丰", "phone": "13800138000"}
STRINGS = {"code": "C_HOUSING", "masked": "张*丰"}
SAMPLES: dict[Any, Any] = {
    int: 1,
    float: 1.0,
    bool: True,
    datetime: DEFAULT_TIME.isoformat(),
    date: DEFAULT_TIME.date().isoformat(),
}


@dataclass(frozen=True)
class Hostile:
    """One hostile message: what it is, where it goes and its bytes."""

    kind: str
    subject: str
    payload: bytes
    msg_id: str = ""
    may_be_ignored: bool = False  # acked without effect is as good as dead-lettered
    too_big: bool = False  # the stream must refuse it

    def __post_init__(self) -> None:
        if not self.msg_id:
            object.__setattr__(self, "msg_id", f"hostile-{uuid.uuid4()}")


@dataclass
class Target:
    """A service running its real consumers on a real database and nats-server."""

    service: str
    db: Database
    js: Any
    http: httpx.AsyncClient
    subscriptions: list[Subscription]
    jwt_secret: str
    volatile: Mapping[str, frozenset[str]]  # table → columns that change by themselves
    published: list[int] = field(default_factory=list)  # stream sequences, removed at the end


@asynccontextmanager
async def running(
    app: FastAPI,
    *,
    service: str,
    nats_url: str,
    volatile: Mapping[str, frozenset[str]] | None = None,
) -> AsyncIterator[Target]:
    """Run `app` (its lifespan: consumers and relay) on isolated durables until it is ready."""
    runtime = app.state.runtime
    isolate(runtime.subscriptions)
    transport = httpx.ASGITransport(app=app)
    nc = await nats.connect(nats_url)
    target: Target | None = None
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://hostile") as http,
        ):

            async def ready() -> bool:
                return (await http.get("/readyz")).status_code == 200

            await eventually(ready, within=20)
            target = Target(
                service=service,
                db=runtime.db,
                js=nc.jetstream(),
                http=http,
                subscriptions=runtime.subscriptions,
                jwt_secret=app.state.jwt_secret,
                volatile=volatile or {},
            )
            yield target
    finally:
        if target is not None:
            await _clean_up(nc.jetstream(), runtime.subscriptions, target)
        await nc.close()


async def _clean_up(js: Any, subscriptions: list[Subscription], target: Target) -> None:
    """Drop the test's durables and its messages: the stream is shared with later tests, whose
    services read it from the start under the real durable names."""
    for sub in subscriptions:
        await js.delete_consumer(sub.spec.stream, sub.spec.durable)
    for seq in target.published:
        await js.delete_msg(EVENTS_STREAM, seq)


def isolate(subscriptions: list[Subscription]) -> list[Subscription]:
    """Give each durable consumer a name of its own that reads only what is published from now:
    the test's nats-server is shared, and other tests' messages would blur the outcome."""
    suffix = secrets.token_hex(4)
    for i, sub in enumerate(subscriptions):
        spec = replace(
            sub.spec, durable=f"{sub.spec.durable}-{suffix}", deliver_policy=DeliverPolicy.NEW
        )
        subscriptions[i] = replace(sub, spec=spec)
    return subscriptions


# --- what a subscription consumes -------------------------------------------------------------


def subject_matches(pattern: str, subject: str) -> bool:
    """NATS subject matching: `*` is one token, `>` one or more at the end."""
    want, have = pattern.split("."), subject.split(".")
    for i, token in enumerate(want):
        if token == ">":
            return len(have) > i
        if i >= len(have) or token not in ("*", have[i]):
            return False
    return len(want) == len(have)


def consumed_types(subscription: Subscription) -> list[type[Event]]:
    """Every registered event type whose subject one of the subscription's filters matches."""
    return [
        cls
        for _, cls in sorted(event_types().items())
        if any(subject_matches(p, example(cls).nats_subject()) for p in subscription.spec.subjects)
    ]


def example(cls: type[Event], **overrides: Any) -> Event:
    """A valid event of `cls` with only its required fields, about a new case."""
    data = example_data(cls) | overrides
    if issubclass(cls, CaseEvent) and "case_no" not in overrides:
        data["case_no"] = a_case_no()
    return cls.model_validate(data)


def example_data(model: type[BaseModel]) -> dict[str, Any]:
    """JSON data filling each required field of `model` with a plausible value."""
    return {
        name: _sample(name, field.annotation)
        for name, field in model.model_fields.items()
        if field.is_required()
    }


def _sample(name: str, annotation: Any) -> Any:
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Literal:
        return args[0]
    if origin in (Union, types.UnionType):
        return _sample(name, next(a for a in args if a is not type(None)))
    if origin is list:
        return [_sample(name, args[0])]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return example_data(annotation)
    if annotation is str:
        return STRINGS.get(name.rpartition("_")[2], f"示例 {name}")
    if annotation in SAMPLES:
        return SAMPLES[annotation]
    raise TypeError(f"no sample for field {name!r} of type {annotation!r}: teach hostile.py")


# --- the hostile messages ---------------------------------------------------------------------


def hostile_messages(
    subscription: Subscription, *, opens_cases: frozenset[str] = OPENS_CASES
) -> list[Hostile]:
    """What the runner must refuse whatever the type, once on each subscribed subject; then
    what each consumed type's contract and handler must refuse."""
    consumed = consumed_types(subscription)
    others = [cls for cls in event_types().values() if cls not in consumed] or consumed
    messages: list[Hostile] = []
    for i, pattern in enumerate(subscription.spec.subjects):
        on_it = [cls for cls in consumed if subject_matches(pattern, example(cls).nats_subject())]
        assert on_it, f"{subscription.spec.durable}: no event type is published on {pattern}"
        impostor = next((cls for cls in consumed if cls not in on_it), others[0])
        messages += _on_subject(on_it[0], i, impostor=impostor)
    for cls in consumed:
        messages += _for_type(cls, opens_cases=opens_cases)
    return messages


def _on_subject(cls: type[Event], i: int, *, impostor: type[Event]) -> Iterator[Hostile]:
    event = example(cls)
    subject, data = event.nats_subject(), event.model_dump(mode="json")
    yield Hostile("malformed JSON", subject, MALFORMED[i % len(MALFORMED)])
    yield Hostile("JSON that is not an object", subject, NOT_OBJECTS[i % len(NOT_OBJECTS)])
    yield _enveloped("broken envelope", subject, cls.TYPE, data, specversion="0.3", time=None)
    yield _enveloped("unknown type", subject, "xinfang.hostile.unheard_of.v1", data)
    yield _enveloped("unknown version", subject, cls.TYPE.removesuffix(".v1") + ".v2", data)
    other = example(impostor)
    yield _enveloped("another type on its subject", subject, impostor.TYPE, _dump(other))
    if issubclass(cls, CaseEvent):
        kind = "envelope about another case"
        yield _enveloped(kind, subject, cls.TYPE, data, subject_case=a_case_no())
    padding = {"padding": "x" * MAX_EVENT_BYTES}
    yield _enveloped("oversized", subject, cls.TYPE, data | padding, too_big=True)


def _for_type(cls: type[Event], *, opens_cases: frozenset[str]) -> Iterator[Hostile]:
    event = example(cls)
    subject, data = event.nats_subject(), event.model_dump(mode="json")
    last = list(example_data(cls))[-1]
    yield _enveloped("missing field", subject, cls.TYPE, _without(data, last))
    yield _enveloped("invalid field", subject, cls.TYPE, data | {last: {"hostile": True}})
    clear = _in_clear(data)
    if clear != data and _refused(cls, clear):  # only where the contract can tell
        yield _enveloped("personal data in clear", subject, cls.TYPE, clear)
    if issubclass(cls, CaseEvent) and cls.TYPE not in opens_cases:
        unknown = _dump(example(cls))
        yield _enveloped("unknown case", subject, cls.TYPE, unknown, may_be_ignored=True)


def _enveloped(
    kind: str, subject: str, type_name: str, data: dict[str, Any], **changes: Any
) -> Hostile:
    flags = {k: changes.pop(k) for k in ("may_be_ignored", "too_big") if k in changes}
    msg_id = f"hostile-{uuid.uuid4()}"
    envelope = {
        "specversion": "1.0",
        "id": msg_id,
        "source": "/xinfang/hostile",
        "type": type_name,
        "subject": changes.pop("subject_case", data.get("case_no")),
        "time": DEFAULT_TIME.isoformat(),
        "data": data,
    } | changes
    body = {k: v for k, v in envelope.items() if v is not None or k == "subject"}
    payload = json.dumps(body, ensure_ascii=False).encode()
    return Hostile(kind, subject, payload, msg_id=msg_id, **flags)


def _dump(event: Event) -> dict[str, Any]:
    return event.model_dump(mode="json")


def _without(data: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != name}


def _in_clear(value: Any, key: str = "") -> Any:
    """`value` with every `*_masked` field holding personal data in clear."""
    if isinstance(value, dict):
        return {k: _in_clear(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_in_clear(v, key) for v in value]
    if key.endswith("_masked") and isinstance(value, str):
        return CLEAR["phone"] if "phone" in key else CLEAR["name"]
    return value


def _refused(cls: type[Event], data: dict[str, Any]) -> bool:
    try:
        cls.model_validate(data)
    except ValidationError:
        return True
    return False


# --- driving a running service ----------------------------------------------------------------


async def publish(target: Target, message: Hostile) -> bool:
    """Publish one message; False if the stream refused it."""
    try:
        ack = await target.js.publish(
            message.subject, message.payload, headers={"Nats-Msg-Id": message.msg_id}
        )
    except Exception as exc:  # the stream's or the server's size limit, as the client reports it
        if message.too_big and "exceed" in str(exc).lower():
            return False
        raise
    target.published.append(ack.seq)
    return True


async def outcomes(target: Target, ids: list[str]) -> dict[str, str]:
    """For each id seen so far: `dead_lettered`, or `acked` when a consumer recorded it applied."""
    found: dict[str, str] = {}
    async with target.db.engine.connect() as conn:
        for table, outcome in (("inbox", "acked"), ("dead_letter", "dead_lettered")):
            rows = await conn.run_sync(_event_ids, table, ids)
            found |= dict.fromkeys(rows, outcome)
    return found


def _event_ids(conn: Connection, table: str, ids: list[str]) -> list[str]:
    meta = MetaData()
    meta.reflect(conn, only=[table])
    column = meta.tables[table].c.event_id
    return [row[0] for row in conn.execute(select(column).where(column.in_(ids)))]


async def settle(target: Target, ids: list[str], *, within: float = 20.0) -> dict[str, str]:
    """Wait until every id is dead-lettered or acked; their outcomes."""

    async def all_seen() -> dict[str, str]:
        seen = await outcomes(target, ids)
        return seen if len(seen) == len(set(ids)) else {}

    return await eventually(all_seen, within=within, interval=0.1)


async def snapshot(target: Target) -> dict[str, list[str]]:
    """Every row of every table but the inbox and the dead letters (and volatile columns)."""
    async with target.db.engine.connect() as conn:
        return await conn.run_sync(_dump_tables, dict(target.volatile))


async def quiet_snapshot(target: Target, *, quiet: float = 0.2) -> dict[str, list[str]]:
    """A snapshot once background work (a dispatcher sending notices) has left it unchanged for
    `quiet` seconds."""
    last = await snapshot(target)

    async def unchanged() -> dict[str, list[str]] | None:
        nonlocal last
        await asyncio.sleep(quiet)
        now, last = last, await snapshot(target)
        return now if now == last else None

    return await eventually(unchanged, within=20, interval=0)


def _dump_tables(conn: Connection, volatile: dict[str, frozenset[str]]) -> dict[str, list[str]]:
    meta = MetaData()
    meta.reflect(conn)
    skip = {"outbox": frozenset({"published_at"})} | volatile
    tables: dict[str, list[str]] = {}
    for name, table in sorted(meta.tables.items()):
        if name in ("inbox", "dead_letter"):
            continue
        columns = [c for c in table.columns if c.name not in skip.get(name, frozenset())]
        rows = conn.execute(select(*columns)).all()
        tables[name] = sorted(repr(tuple(row)) for row in rows)
    return tables


def changes(before: dict[str, list[str]], after: dict[str, list[str]]) -> dict[str, Any]:
    """Rows added or gone, per table that changed."""
    diff = {}
    for name in sorted(set(before) | set(after)):
        old, new = set(before.get(name, [])), set(after.get(name, []))
        if old != new:
            diff[name] = {"added": sorted(new - old)[:3], "gone": sorted(old - new)[:3]}
    return diff


def assert_unchanged(before: dict[str, list[str]], after: dict[str, list[str]]) -> None:
    """Every table holds the same rows as before."""
    diff = changes(before, after)
    assert not diff, f"the state changed: {json.dumps(diff, ensure_ascii=False, indent=1)}"


async def dead_letters_listed(target: Target) -> set[str]:
    """Event ids the operators' `/api/v1/dead-letters` lists."""
    token = issue_token(
        secret=target.jwt_secret, sub="hostile", roles=[Role.OPERATOR], now=datetime.now(UTC)
    )
    response = await target.http.get(
        "/api/v1/dead-letters", params={"limit": 500}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    return {row["event_id"] for row in response.json()}


async def consumer_metric(target: Target, consumer: str, result: str) -> float:
    """How many messages the consumer handled with `result`, as `/metrics` shows it."""
    name = f"xinfang_{target.service}_consumer_messages_total"
    return await metric(target, f'{name}{{consumer="{consumer}",result="{result}"}}')


async def metric(target: Target, series: str) -> float:
    """A series' value on `/metrics` (0 when absent)."""
    text = (await target.http.get("/metrics")).text
    found = [row for row in text.splitlines() if row.startswith(f"{series} ")]
    return float(found[0].removeprefix(f"{series} ")) if found else 0.0


# --- the checks -------------------------------------------------------------------------------


async def assault(
    target: Target,
    *,
    good: Envelope,
    applied: Callable[[], Awaitable[Any]],
    opens_cases: frozenset[str] = OPENS_CASES,
) -> dict[str, str]:
    """Publish every hostile message on every consumed subject, then `good`; assert each was
    dead-lettered (listed and counted) or acked without effect, nothing changed, the stream
    refused the oversized ones and `good` was applied after them. Returns kind → outcomes."""
    before = await snapshot(target)
    report: dict[str, str] = {}
    for sub in target.subscriptions:
        messages = hostile_messages(sub, opens_cases=opens_cases)
        _assert_covers(sub, messages)
        delivered = [m for m in messages if await publish(target, m)]
        assert all(m.too_big for m in messages if m not in delivered)
        assert not [m.kind for m in delivered if m.too_big], "the stream took an oversized one"
        seen = await settle(target, [m.msg_id for m in delivered])
        wrong = [(m.kind, m.subject) for m in delivered if _wrong(m, seen[m.msg_id])]
        assert not wrong, f"acked instead of dead-lettered: {wrong}"
        await _assert_kept_aside(target, sub, [m for m in delivered if seen[m.msg_id] != "acked"])
        report |= {f"{m.kind} on {m.subject}": seen.get(m.msg_id, "refused") for m in messages}
    assert_unchanged(before, await snapshot(target))
    await _publish(target, (good,))
    assert await eventually(applied, within=20), "the good event after them was not applied"
    return report


def _wrong(message: Hostile, outcome: str) -> bool:
    return outcome == "acked" and not message.may_be_ignored


def _assert_covers(subscription: Subscription, messages: list[Hostile]) -> None:
    for pattern in subscription.spec.subjects:
        kinds = {m.kind for m in messages if subject_matches(pattern, m.subject)}
        assert {"malformed JSON", "unknown type", "oversized"} <= kinds, (
            f"{subscription.spec.durable}: no hostile messages on {pattern}"
        )
    for cls in consumed_types(subscription):
        kinds = {m.kind for m in messages if m.subject == example(cls).nats_subject()}
        assert "invalid field" in kinds, f"{subscription.spec.durable}: none of {cls.TYPE}"


async def _assert_kept_aside(
    target: Target, subscription: Subscription, dead: list[Hostile]
) -> None:
    listed = await dead_letters_listed(target)
    missing = [m.kind for m in dead if m.msg_id not in listed]
    assert not missing, f"dead-lettered but not listed at /api/v1/dead-letters: {missing}"
    async with target.db.engine.connect() as conn:
        rows = await conn.run_sync(_dead_letter_count, subscription.spec.durable)
    counted = await consumer_metric(target, subscription.spec.durable, "dead_lettered")
    assert counted == rows >= len(dead), "the consumer's dead_lettered count misses some"

    async def gauge_counts_them() -> bool:  # what the alert watches; recounted every 5 s too
        return await metric(target, f"xinfang_{target.service}_dead_letters") >= rows

    await eventually(gauge_counts_them, within=10)


def _dead_letter_count(conn: Connection, consumer: str) -> int:
    meta = MetaData()
    meta.reflect(conn, only=["dead_letter"])
    table = meta.tables["dead_letter"]
    return len(conn.execute(select(table.c.id).where(table.c.consumer == consumer)).all())


def older(envelope: Envelope, *, by: timedelta = timedelta(days=1)) -> Envelope:
    """A copy of the event under a new id, stamped `by` earlier: news that arrives late."""
    return envelope.model_copy(update={"id": str(uuid.uuid4()), "time": envelope.time - by})


async def deliver(target: Target, *envelopes: Envelope) -> dict[str, str]:
    """Publish envelopes as their services would and wait until each was handled."""
    await _publish(target, envelopes)
    return await settle(target, [e.id for e in envelopes])


async def replay(target: Target, *history: Envelope) -> None:
    """Deliver `history`, then each of its events again (same ids, as after the stream's
    duplicate window): the consumers count them as duplicates and nothing changes."""
    await deliver(target, *history)
    before = await quiet_snapshot(target)
    duplicates = await _counted(target, "duplicate")
    await _publish(target, history)

    async def all_counted() -> bool:
        return await _counted(target, "duplicate") >= duplicates + len(history)

    await eventually(all_counted, within=20)
    assert_unchanged(before, await quiet_snapshot(target))


async def _publish(target: Target, envelopes: tuple[Envelope, ...]) -> None:

    for envelope in envelopes:  # a fresh Nats-Msg-Id: the stream would drop a recent one
        ack = await target.js.publish(
            parse_event(envelope).nats_subject(),
            envelope.model_dump_json().encode(),
            headers={"Nats-Msg-Id": f"{envelope.id}-{uuid.uuid4().hex[:8]}"},
        )
        target.published.append(ack.seq)


async def _counted(target: Target, result: str) -> float:
    return sum(
        [await consumer_metric(target, s.spec.durable, result) for s in target.subscriptions]
    )
