"""Events routing emits: where a petition went and what its department does with it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from xinfang.common.events.envelope import Event, register, subject_for


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
