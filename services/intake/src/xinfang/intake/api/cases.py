"""Staff view of a case: the record, its flags and why each was raised (people masked)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends

from xinfang.common.auth import Principal, Role, require_roles
from xinfang.common.errors import not_found
from xinfang.common.privacy import mask_name
from xinfang.common.web import ERROR_RESPONSES
from xinfang.intake import domain, repository
from xinfang.intake.api.deps import IntakeDep
from xinfang.intake.bootstrap import Intake
from xinfang.intake.models import (
    AttachmentRef,
    CaseRecord,
    FindingPublic,
    Petition,
    PetitionerMasked,
)

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)

Staff = Annotated[Principal, Depends(require_roles(Role.CLERK, Role.SUPERVISOR, Role.LEADER))]


@router.get("/cases/{case_no}", tags=["cases"], summary="A case's record and why it was flagged")
async def case_record(case_no: str, intake: IntakeDep, _: Staff) -> CaseRecord:
    """The registered record with each detection explained; personal data masked."""
    async with intake.db.reading() as session:
        petition = await repository.get_petition(session, case_no=case_no)
        if petition is None:
            raise not_found("信访件", "case")
        people = await repository.petitioners(session, case_no=case_no)
        files = await repository.case_attachments(session, case_no=case_no)
    masked = [
        PetitionerMasked(
            position=p.position,
            kind=p.kind,
            ref=p.ref,
            name_masked=_masked_name(intake, p.name_sealed),
            id_type=p.id_type,
        )
        for p in people
    ]
    return record_of(
        intake,
        petition,
        masked,
        [AttachmentRef(sha256=f.sha256, filename=f.filename) for f in files],
    )


def _masked_name(intake: Intake, sealed: str) -> str:
    name = intake.pii.open(sealed)
    return mask_name(name) if name else "匿名"


def record_of(
    intake: Intake,
    p: Petition,
    people: list[PetitionerMasked],
    files: list[AttachmentRef],
) -> CaseRecord:
    """The staff record of a petition."""
    accused = intake.pii.open(p.accused_person_sealed) if p.accused_person_sealed else None
    return CaseRecord(
        case_no=p.case_no,
        channel=p.channel,
        status=p.status,
        status_zh=domain.status_zh(p.status, p.status_zh),
        matter_type=p.matter_type,
        purpose=p.purpose,
        category_code=p.category_code,
        category_version=p.category_version,
        region_code=p.region_code,
        region_level=p.region_level,
        title=p.title,
        facts=p.content,
        request=p.request,
        reasons=p.reasons,
        people_involved=p.people_involved,
        petitioners=people,
        accused_unit=p.accused_unit_name,
        accused_department_code=p.accused_department_code,
        accused_person_masked=mask_name(accused) if accused else None,
        flags=json.loads(p.flags),
        why_flagged=[FindingPublic.model_validate(f) for f in json.loads(p.findings)],
        repeat_of=p.repeat_of,
        repeat_count=p.repeat_count,
        receiving_office=p.receiving_office,
        registered_by=p.registered_by,
        received_at=p.received_at,
        department=p.department_name,
        deadline=p.deadline_due_on,
        attachments=files,
    )
