"""Personal data in full: the audited identity read, and re-sealing under a new key."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlmodel import col, select

from xinfang.common.auth import Principal
from xinfang.common.errors import not_found
from xinfang.intake import repository
from xinfang.intake.models import (
    CaseIdentity,
    IdentityAccess,
    Petition,
    Petitioner,
    PetitionerIdentity,
)

if TYPE_CHECKING:
    from xinfang.intake.bootstrap import Intake

SEALED_PETITIONER = (
    "name_sealed",
    "id_number_sealed",
    "phone_sealed",
    "address_sealed",
    "email_sealed",
)


async def read_identity(
    intake: Intake, *, case_no: str, principal: Principal, reason: str
) -> CaseIdentity:
    """The case's petitioners in full; the read is written to the audit log in the same commit."""
    async with intake.db.transaction() as session:
        petition = await repository.get_petition(session, case_no=case_no)
        if petition is None:
            raise not_found("信访件", "case")
        people = await repository.petitioners(session, case_no=case_no)
        session.add(
            IdentityAccess(
                case_no=case_no,
                principal=principal.sub,
                roles=",".join(r.value for r in principal.roles),
                reason=reason,
                at=intake.clock.now(),
            )
        )
    intake.intake_metrics.identity_reads.inc()
    open_ = intake.pii.open
    return CaseIdentity(
        case_no=case_no,
        petitioners=[_identity(p, open_) for p in people],
        accused_person=open_(petition.accused_person_sealed)
        if petition.accused_person_sealed
        else None,
    )


def _identity(p: Petitioner, open_: Callable[[str], str]) -> PetitionerIdentity:
    def maybe(value: str | None) -> str | None:
        return open_(value) if value else None

    return PetitionerIdentity(
        position=p.position,
        kind=p.kind,
        name=open_(p.name_sealed),
        id_type=p.id_type,
        id_number=maybe(p.id_number_sealed),
        phone=maybe(p.phone_sealed),
        address=open_(p.address_sealed),
        address_region_code=p.address_region_code,
        email=maybe(p.email_sealed),
    )


async def rotate_keys(
    intake: Intake, *, batch: int = 200, progress: Callable[[int, int], None] | None = None
) -> int:
    """Re-seal every sealed value under the first configured key; returns the rows re-sealed.

    Works in batches, each its own transaction, so it can be stopped and run again.
    """
    async with intake.db.reading() as session:
        ids = list((await session.exec(select(Petitioner.id).order_by(col(Petitioner.id)))).all())
        cases = list((await session.exec(select(Petition.case_no))).all())
    total, done = len(ids) + len(cases), 0
    for start in range(0, len(ids), batch):
        done += await _reseal(intake, Petitioner, ids[start : start + batch], SEALED_PETITIONER)
        if progress:
            progress(done, total)
    for start in range(0, len(cases), batch):
        chunk = cases[start : start + batch]
        done += await _reseal(intake, Petition, chunk, ("accused_person_sealed",))
        if progress:
            progress(done, total)
    return done


async def _reseal(intake: Intake, table: type, keys: list, columns: tuple[str, ...]) -> int:  # type: ignore[type-arg]
    async with intake.db.transaction() as session:
        for key in keys:
            row = await session.get(table, key)
            for column in columns:
                value = getattr(row, column)
                if value:
                    setattr(row, column, intake.pii.rotate(value))
            session.add(row)
    return len(keys)
