"""How an assignment is shown: the public view, and the department's detail with petitioners
masked, or hidden entirely on a confidential accusation."""

from __future__ import annotations

from xinfang.routing.models import Assignment
from xinfang.routing.schemas import AssignmentDetail, AssignmentPublic, PetitionerView


def public_view(row: Assignment) -> AssignmentPublic:
    fields = set(AssignmentPublic.model_fields) - {"co_handlers"}
    return AssignmentPublic(co_handlers=row.co_handlers, **{f: getattr(row, f) for f in fields})


def hides_petitioners(row: Assignment) -> bool:
    """A confidential accusation shows no petitioner at all, masked or not."""
    return row.confidential and row.matter_type == "accusation"


def detail_view(row: Assignment) -> AssignmentDetail:
    hidden = hides_petitioners(row)
    petitioners = [] if hidden else [PetitionerView.model_validate(p) for p in row.petitioners]
    return AssignmentDetail(
        **public_view(row).model_dump(),
        title=row.title,
        content=row.content,
        petitioners=petitioners,
        petitioners_hidden=hidden,
        confidential=row.confidential,
    )
