"""Serving a service's app with uvicorn, within limits that keep slow or hostile clients from
holding connections: request headers must arrive within `http_header_timeout_seconds` (uvicorn
itself waits for them forever), idle keep-alive connections close after
`http_keep_alive_seconds`, headers are at most `http_max_header_bytes`; the body's size and
deadline are BodyLimit's (`xinfang.common.web`)."""

from __future__ import annotations

import asyncio
from typing import Any

import h11
import structlog
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from xinfang.common.settings import BaseServiceSettings

log = structlog.get_logger()

SLOW_HEADERS_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 29\r\nconnection: close\r\n\r\nrequest headers came too slow"
)


class GuardedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline on each request's headers."""

    header_timeout = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the clock for the first request's headers."""
        self._header_timer: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._arm()

    def handle_events(self) -> None:
        """Stop the clock once a request's headers are in."""
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:
            self._disarm()

    def on_response_complete(self) -> None:
        """Restart the clock for the next request on a kept-alive connection."""
        super().on_response_complete()
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        log.warning("slow_client_closed", client=self.client and self.client[0])
        self.transport.write(SLOW_HEADERS_RESPONSE)
        self.transport.close()


def guarded_protocol(header_timeout: float) -> type[GuardedH11Protocol]:
    """The protocol class with its header deadline set."""
    return type("GuardedH11", (GuardedH11Protocol,), {"header_timeout": header_timeout})


def server_config(app: Any, settings: BaseServiceSettings, **overrides: Any) -> uvicorn.Config:
    """uvicorn's configuration for `app` from the service's settings."""
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_config": None,
        "access_log": False,
        "timeout_graceful_shutdown": 10,
        "http": guarded_protocol(settings.http_header_timeout_seconds),
        "timeout_keep_alive": settings.http_keep_alive_seconds,
        "h11_max_incomplete_event_size": settings.http_max_header_bytes,
    }
    return uvicorn.Config(app, **(options | overrides))
