"""Events supervision emits: legal clocks, warnings, orders."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from xinfang.common.events.envelope import Event, register


@register
class DeadlineScheduled(Event):
    """Supervision started a legal clock on a case."""

    TYPE = "xinfang.deadline.scheduled.v1"

    kind: str = Field(description="which clock: routing, acceptance_notice, …")
    starts_on: date
    due_on: date
    basis: str = Field(description="the rule and how the date was counted")
    provisional: bool = False
