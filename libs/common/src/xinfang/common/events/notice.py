"""Events notify emits: each notice's delivery outcome."""

from __future__ import annotations

from datetime import datetime

from xinfang.common.events.envelope import CaseEvent, register


@register
class NoticeDelivered(CaseEvent):
    """Notify delivered a notice."""

    TYPE = "xinfang.notice.delivered.v1"

    notice_id: str
    notice_type: str
    channel: str
    recipient_masked: str
    delivered_at: datetime


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
