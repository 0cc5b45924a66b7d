"""The personal-data audit: after a run, look for petitioners' ID numbers, phone numbers and
names in clear wherever staff, departments or operators could read them — every message of every
JetStream stream, every service log line, what departments are shown (routing's workbench API
and pages, their feed consumers `dept-<CODE>`) and every webhook body — and in the databases,
which must hold them only encrypted."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import nats
from sqlalchemy import JSON, LargeBinary, String, inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from xinfang.common.messaging.provision import department_spec

# A resident ID (GB 11643, 18 characters) and a mainland mobile number, standing alone.
RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")
# JSON written with ensure_ascii (structlog's default) spells 张三 as \u5f20\u4e09.
UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
DIGIT_RUN = re.compile(r"\d{17}[0-9Xx]|\d+")
FETCH_SECONDS = 2.0


@dataclass(frozen=True)
class Hit:
    """Personal data found in clear: where, and what it is (never the value itself)."""

    source: str
    where: str
    what: str


@dataclass
class Audit:
    """The clear values the load generator submitted, and what was scanned and found."""

    secrets: dict[str, str]  # clear value → what it is ("name of petition 3")
    scanned: dict[str, int] = field(default_factory=dict)  # source → items read
    hits: list[Hit] = field(default_factory=list)

    @classmethod
    def of(cls, petitions: Iterable[dict[str, Any]]) -> Audit:
        secrets = {}
        for n, petition in enumerate(petitions):
            for person in petition["petitioners"]:
                for key in ("name", "phone", "id_number"):
                    if person.get(key):
                        secrets.setdefault(str(person[key]), f"the {key} of petition {n}")
        return cls(secrets)

    def scan(self, source: str, where: str, content: str | bytes, *, patterns: bool = True) -> None:
        """Look for every clear value (and, with `patterns`, any ID or mobile number)."""
        body = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
        body = UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), body)  # JSON's \uXXXX
        self.scanned[source] = self.scanned.get(source, 0) + 1
        # Numbers are looked up by the digit runs of the text, words by substring: one pass each.
        found = [self.secrets[run] for run in DIGIT_RUN.findall(body) if run in self.secrets]
        found += [what for word, what in self._words.items() if word in body]
        if patterns:
            found += [f"an ID number {_masked(m)}" for m in RESIDENT_ID.findall(body)]
            found += [f"a mobile number {_masked(m)}" for m in MOBILE.findall(body)]
        self.hits += [Hit(source, where, what) for what in dict.fromkeys(found)]

    @cached_property
    def _words(self) -> dict[str, str]:
        return {
            value: what for value, what in self.secrets.items() if not DIGIT_RUN.fullmatch(value)
        }

    def table(self) -> str:
        """Sources scanned, items read, hits: one line each."""
        lines = [f"{'personal-data audit':<44} {'items':>8} {'hits':>6}"]
        for source, count in self.scanned.items():
            hits = sum(h.source == source for h in self.hits)
            lines.append(f"  {source:<42} {count:>8} {hits:>6}")
        lines += [f"  HIT {h.source} {h.where}: {h.what}" for h in self.hits[:30]]
        return "\n".join(lines)


def _masked(value: str) -> str:
    return f"{value[:3]}…{value[-2:]}"


# --- what the run left behind ----------------------------------------------------------------


@dataclass(frozen=True)
class StreamMessage:
    """One message as stored in a stream."""

    stream: str
    seq: int
    subject: str
    headers: dict[str, str]
    data: bytes

    def envelope(self) -> dict[str, Any] | None:
        try:
            body = json.loads(self.data)
        except ValueError:
            return None
        return body if isinstance(body, dict) else None


async def read_streams(nats_url: str) -> list[StreamMessage]:
    """Every message of every stream, read with ordered consumers."""
    nc = await nats.connect(nats_url)
    messages: dict[tuple[str, int], StreamMessage] = {}
    try:
        js = nc.jetstream()
        for stream in await js.streams_info():
            name = stream.config.name
            for subject in stream.config.subjects or []:
                async for msg in _ordered(js, subject, name):
                    seq = msg.metadata.sequence.stream
                    headers = dict(msg.headers or {})
                    messages[(name, seq)] = StreamMessage(name, seq, msg.subject, headers, msg.data)
    finally:
        await nc.close()
    return sorted(messages.values(), key=lambda m: (m.stream, m.seq))


def scan_streams(audit: Audit, messages: Iterable[StreamMessage]) -> None:
    """Data and headers of every stored message."""
    for m in messages:
        headers = json.dumps(m.headers, ensure_ascii=False).encode()
        audit.scan(
            f"stream {m.stream}", f"{m.stream}#{m.seq} {m.subject}", headers + b"\n" + m.data
        )


async def _ordered(js: Any, subject: str, stream: str) -> AsyncIterator[Any]:
    sub = await js.subscribe(subject, stream=stream, ordered_consumer=True)
    try:
        while True:
            try:
                msg = await sub.next_msg(timeout=FETCH_SECONDS)
            except (TimeoutError, nats.errors.TimeoutError):
                return
            yield msg
            if msg.metadata.num_pending == 0:
                return
    finally:
        await sub.unsubscribe()


async def provision_department_feeds(nats_url: str, codes: Iterable[str]) -> None:
    """The `dept-<CODE>` consumers a deployment provisions, so they fill during the run."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        for code in codes:
            await js.add_consumer("XINFANG", department_spec(code).config())
    finally:
        await nc.close()


async def scan_department_feeds(audit: Audit, nats_url: str, codes: Iterable[str]) -> None:
    """Everything each department's feed consumer `dept-<CODE>` delivers, as it reads it."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        for code in codes:
            feed = await js.pull_subscribe_bind(durable=f"dept-{code}", stream="XINFANG")
            while True:
                try:
                    msgs = await feed.fetch(200, timeout=FETCH_SECONDS)
                except (TimeoutError, nats.errors.TimeoutError):
                    break
                for msg in msgs:
                    audit.scan(
                        "department feeds dept-<CODE>", f"dept-{code} {msg.subject}", msg.data
                    )
                    await msg.ack()
    finally:
        await nc.close()


def scan_logs(audit: Audit, log_dir: Path) -> None:
    """Every line of every service's log."""
    for path in sorted(log_dir.glob("*.log")):
        for number, line in enumerate(path.read_text("utf-8", "replace").splitlines(), 1):
            audit.scan("service logs (lines)", f"{path.name}:{number}", line)


async def scan_database(audit: Audit, name: str, url: str) -> None:
    """Every text column of every table: the clear values must not be there (sealed is fine, so
    no pattern search: ciphertext is not checked for digits)."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(_text_columns)
            for table, columns in tables.items():
                quoted = ", ".join(f'"{c}"' for c in columns)
                rows = (await conn.execute(text(f'SELECT {quoted} FROM "{table}"'))).all()
                for row in rows:
                    for column, value in zip(columns, row, strict=True):
                        if value is not None:
                            where = f"{table}.{column}"
                            audit.scan(
                                f"database {name} (values)", where, _text(value), patterns=False
                            )
    finally:
        await engine.dispose()


def _text_columns(conn: Any) -> dict[str, list[str]]:
    inspector = inspect(conn)
    kinds = (String, JSON, LargeBinary)
    return {
        table: columns
        for table in inspector.get_table_names()
        if (
            columns := [
                c["name"] for c in inspector.get_columns(table) if isinstance(c["type"], kinds)
            ]
        )
    }


def _text(value: Any) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def scan_webhooks(audit: Audit, deliveries: Iterable[Any]) -> None:
    """Every webhook POST routing and notify made: headers and body."""
    for d in deliveries:
        headers = json.dumps(d.headers, ensure_ascii=False).encode()
        sender = d.path.strip("/").split("/")[0]
        audit.scan(f"webhook bodies ({sender})", d.path, headers + b"\n" + d.body)


def scan_responses(audit: Audit, responses: Iterable[tuple[str, str]]) -> None:
    """What departments were shown: routing's workbench API answers and pages."""
    for where, body in responses:
        audit.scan("department responses (API, pages)", where, body)
