"""Events notify emits: each notice's delivery outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from xinfang.common.events.envelope import CaseEvent, register

Audience = Literal["petitioner", "portal", "department", "leader"]


@register
class NoticeDelivered(CaseEvent):
    """Notify delivered a notice."""

    TYPE = "xinfang.notice.delivered.v1"

    notice_id: str
    notice_type: str
    channel: str
    recipient_masked: str
    delivered_at: datetime
    audience: Audience = Field(
        default="petitioner",
        description="who was told: a petitioner (masked), the case's in-portal notice (channel "
        "portal), a department (recipient_masked is its code) or a leader",
    )
    template: str | None = Field(default=None, description="the template id, e.g. acceptance.v1")


@register
class NoticeFailed(CaseEvent):
    """Notify gave up delivering a notice."""

    TYPE = "xinfang.notice.failed.v1"

    notice_id: str
    notice_type: str
    channel: str
    recipient_masked: str | None = None
    reason: str
    attempts: int
    failed_at: datetime
    audience: Audience = Field(default="petitioner", description="as in notice.delivered")
