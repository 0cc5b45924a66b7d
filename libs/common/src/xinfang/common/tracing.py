"""W3C trace context: the `traceparent` of the current request or message, in a contextvar."""

from __future__ import annotations

import secrets
from contextvars import ContextVar

_current: ContextVar[str | None] = ContextVar("traceparent", default=None)


def new_traceparent() -> str:
    """A fresh `00-<trace id>-<span id>-01`."""
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def trace_id_of(traceparent: str | None) -> str | None:
    """The trace id inside a traceparent, or None if it is malformed."""
    parts = (traceparent or "").split("-")
    if len(parts) == 4 and len(parts[1]) == 32:
        return parts[1]
    return None


def continue_trace(traceparent: str | None) -> str:
    """Adopt an incoming traceparent (new span, same trace), or start a new trace; returns it."""
    trace_id = trace_id_of(traceparent)
    value = f"00-{trace_id}-{secrets.token_hex(8)}-01" if trace_id else new_traceparent()
    _current.set(value)
    return value


def current_traceparent() -> str | None:
    """The traceparent of the work in progress, if any."""
    return _current.get()
