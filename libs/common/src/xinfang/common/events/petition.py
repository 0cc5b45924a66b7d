"""Events intake emits about petitions. Personal data only ever appears masked or sealed."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from xinfang.common.events.envelope import Event, register


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
