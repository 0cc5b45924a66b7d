"""Every event xinfang publishes. Personal data only ever appears masked or sealed here."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from xinfang.common.events.envelope import Event, register, subject_for


class PetitionerRef(BaseModel):
    """A petitioner as events show them: a pseudonymous reference and masked fields."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    ref: str = Field(description="stable pseudonymous reference (keyed hash), never the identity")
    name_masked: str
    phone_masked: str | None = None


@register
class PetitionReceived(Event):
    """A petition was registered by intake (登记)."""

    TYPE = "xinfang.petition.received.v1"

    channel: str
    received_at: datetime
    region_code: str = Field(
        description="6-digit administrative division of the problem (问题属地)"
    )
    category_code: str = Field(description="6-digit content classification (内容分类)")
    title: str
    content: str
    petitioners: list[PetitionerRef]
    people_involved: int = 1
    contact_sealed: str | None = Field(
        default=None,
        description="the petitioner's contact details for notices, encrypted for notify only",
    )


@register
class PetitionRouted(Event):
    """Routing assigned a petition to its lead department (转送/交办)."""

    TYPE = "xinfang.petition.routed.v1"

    department_code: str
    department_name: str
    mode: Literal["forward", "assign"] = "forward"
    rule: str = Field(description="the routing rule that matched")
    reason: str = Field(description="why this department, in words")
    routed_at: datetime

    def nats_subject(self) -> str:
        # The department code is the last token so a department can filter on its own events.
        return f"{subject_for(self.TYPE)}.{self.department_code}"


@register
class DeadlineScheduled(Event):
    """Supervision started a legal clock on a case."""

    TYPE = "xinfang.deadline.scheduled.v1"

    kind: str = Field(description="which clock: routing, acceptance_notice, …")
    starts_on: date
    due_on: date
    basis: str = Field(description="the rule and how the date was counted")
    provisional: bool = False


@register
class NoticeDelivered(Event):
    """Notify delivered a notice."""

    TYPE = "xinfang.notice.delivered.v1"

    notice_id: str
    notice_type: str
    channel: str
    recipient_masked: str
    delivered_at: datetime


@register
class NoticeFailed(Event):
    """Notify gave up delivering a notice."""

    TYPE = "xinfang.notice.failed.v1"

    notice_id: str
    notice_type: str
    channel: str
    recipient_masked: str | None = None
    reason: str
    attempts: int
    failed_at: datetime
