"""structlog JSON logging; case_no, event_id and trace_id are bound per request and per message."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

from xinfang.common.privacy import mask

# A last line of defence: whatever a caller passes under these keys is masked before it is written.
PERSONAL_KEYS = frozenset({"name", "phone", "id_number", "address", "email"})


def _mask_personal(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    for key in PERSONAL_KEYS & event.keys():
        if isinstance(event[key], str):
            event[key] = mask(event[key])
    return event


def configure_logging(*, service: str, level: str = "INFO", json: bool = True) -> None:
    """Set up structlog (and stdlib logging) for one service process."""
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _mask_personal,
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stdout),
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(service=service)
    # Libraries (uvicorn, nats, sqlalchemy) log through stdlib: render them the same way.
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access", "nats"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def get_logger(name: str) -> Any:
    """A structlog logger for a module."""
    return structlog.get_logger(name)
