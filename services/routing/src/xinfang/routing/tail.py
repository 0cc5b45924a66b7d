"""`python -m xinfang.routing tail --dept CODE --nats-url URL`: a department's live feed, one line
per event, from a core NATS subscription on `xinfang.*.*.<CODE>` (what the department's own NATS
user is allowed to read)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import nats
from nats.aio.msg import Msg

from xinfang.common.events import Envelope


def line(subject: str, payload: bytes) -> str:
    """`<time> <type> <case> <department> <key fields>`; raw text if not an envelope."""
    try:
        envelope = Envelope.model_validate_json(payload)
    except ValueError:
        return f"{subject} {payload[:200]!r}"
    data = envelope.data
    keys = ("department_name", "mode", "reason", "outcome", "days", "approved", "from_department")
    extra = {k: data[k] for k in keys if data.get(k) is not None}
    return (
        f"{envelope.time.isoformat()} {envelope.type} {envelope.subject} "
        f"{data.get('department_code', '')} {json.dumps(extra, ensure_ascii=False)}"
    )


async def tail(
    *,
    dept: str,
    nats_url: str,
    out: Callable[[str], None] = print,
    stop: asyncio.Event | None = None,
    credentials: dict[str, str] | None = None,
) -> None:
    """Print the department's events as they come, until `stop` is set (or forever)."""
    nc = await nats.connect(nats_url, name=f"tail-{dept}", **(credentials or {}))  # type: ignore[arg-type]

    async def on_message(msg: Msg) -> None:
        out(line(msg.subject, msg.data))

    await nc.subscribe(f"xinfang.*.*.{dept}", cb=on_message)
    await nc.flush()
    out(f"# listening on xinfang.*.*.{dept} at {nats_url}")
    try:
        await (stop or asyncio.Event()).wait()
    finally:
        await nc.drain()
