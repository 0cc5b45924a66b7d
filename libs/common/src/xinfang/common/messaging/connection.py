"""Connecting to NATS with endless reconnects and logged state changes."""

from __future__ import annotations

import nats
from nats.aio.client import Client

from xinfang.common.logging import get_logger

log = get_logger(__name__)


async def connect(
    url: str,
    *,
    name: str,
    user: str | None = None,
    password: str | None = None,
    inbox_prefix: str = "_INBOX",
) -> Client:
    """Connect once (raises if no server is reachable); afterwards reconnect forever.

    `url` may list several servers of a cluster, comma-separated. `inbox_prefix` is where
    replies (pull batches, publish acks) arrive: a prefix of its own lets the NATS
    authorization allow this user to subscribe only there (deploy/nats/generate.py).
    """

    async def on_disconnect() -> None:
        log.warning("nats_disconnected", connection=name)

    async def on_reconnect() -> None:
        log.info("nats_reconnected", connection=name)

    async def on_error(exc: Exception) -> None:
        log.warning("nats_error", connection=name, error=repr(exc))

    return await nats.connect(
        servers=[u.strip() for u in url.split(",") if u.strip()],
        name=name,
        user=user,
        password=password,
        inbox_prefix=inbox_prefix,
        connect_timeout=2,
        allow_reconnect=True,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        disconnected_cb=on_disconnect,
        reconnected_cb=on_reconnect,
        error_cb=on_error,
    )
