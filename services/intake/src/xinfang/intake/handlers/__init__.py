"""Intake's command and event handlers; the tables of handlers are at the bottom."""

from __future__ import annotations

from xinfang.common.messaging.consumer import Handler
from xinfang.intake.handlers.case_view import CASE_VIEW_HANDLERS
from xinfang.intake.handlers.identity import read_identity, rotate_keys
from xinfang.intake.handlers.registration import register_petition

__all__ = ["EVENT_HANDLERS", "read_identity", "register_petition", "rotate_keys"]

EVENT_HANDLERS: dict[str, Handler] = dict(CASE_VIEW_HANDLERS)
