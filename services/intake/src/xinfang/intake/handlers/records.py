"""The rows and events of a registered petition: personal data sealed in the rows, masked in the
events. Rows are plain dicts, inserted a table at a time for a whole batch of registrations."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common.crypto import keyed_hash
from xinfang.common.events import AccusedRef, PetitionerRef, PetitionReceived, PetitionRefused
from xinfang.common.events.petition import FlagReason, PetitionFlags
from xinfang.common.messaging.outbox import add_event
from xinfang.common.privacy import mask_name, mask_phone
from xinfang.intake.domain.detection import Finding
from xinfang.intake.domain.identity import normalise_id_number
from xinfang.intake.domain.refusals import Refusal
from xinfang.intake.handlers.timeline import timeline_row
from xinfang.intake.models import (
    Petition,
    PetitionAttachment,
    PetitionCreate,
    Petitioner,
    TimelineEntry,
)

if TYPE_CHECKING:
    from xinfang.intake.bootstrap import Intake

Row = dict[str, Any]


@dataclass
class Rows:
    """The rows of a batch of registrations, table by table."""

    petitions: list[Row] = field(default_factory=list)
    petitioners: list[Row] = field(default_factory=list)
    attachments: list[Row] = field(default_factory=list)
    timeline: list[Row] = field(default_factory=list)

    async def insert(self, session: AsyncSession) -> None:
        """One executemany per table, petitions first (the others refer to them)."""
        for table, rows in (
            (Petition, self.petitions),
            (Petitioner, self.petitioners),
            (PetitionAttachment, self.attachments),
            (TimelineEntry, self.timeline),
        ):
            if rows:
                statement = insert(table.__table__)  # type: ignore[attr-defined]
                await session.exec(statement, params=rows)  # type: ignore[call-overload]


@dataclass(frozen=True)
class Found:
    """What detection found on a petition: the rules that fired and the refusal, if any."""

    findings: list[Finding]
    refusal: Refusal | None

    def flags(self, cmd: PetitionCreate) -> PetitionFlags:
        rules = {f.rule for f in self.findings}
        return PetitionFlags(
            **cmd.flags.model_dump(),
            collective="collective" in rules,
            leapfrog="leapfrog" in rules,
            repeat="repeat" in rules,
        )

    def reasons(self) -> list[FlagReason]:
        reasons = [FlagReason(**asdict(f)) for f in self.findings]  # `count` is dropped
        r = self.refusal
        if r is not None:
            reasons.append(FlagReason(rule=r.kind, zh=r.zh, en=r.en, related_case=r.related_case))
        return reasons


@dataclass(frozen=True)
class NewCase:
    """One petition of the batch: its number, what it says, who brought it, what was found."""

    case_no: str
    cmd: PetitionCreate
    query_code: str
    refs: list[str]
    clerk: str | None
    found: Found
    now: datetime


def add_case(intake: Intake, session: AsyncSession, rows: Rows, case: NewCase) -> None:
    """The case's rows (sealed) into `rows`, its events (masked) into the session's outbox."""
    flags, reasons = case.found.flags(case.cmd), case.found.reasons()
    petition = _petition_row(intake, case, flags, reasons)
    rows.petitions.append(petition)
    people = _petitioner_rows(intake, rows, case)
    rows.attachments += [
        {"case_no": case.case_no, "sha256": a.sha256, "filename": a.filename}
        for a in case.cmd.attachments
    ]
    _emit(intake, session, rows, case, petition, people, flags, reasons)


def _petition_row(
    intake: Intake, case: NewCase, flags: PetitionFlags, reasons: list[FlagReason]
) -> Row:
    cmd, refusal = case.cmd, case.found.refusal
    office = cmd.receiving_office or intake.settings.receiving_office
    repeat = next((f for f in case.found.findings if f.rule == "repeat"), None)
    accused = cmd.accused
    return {
        "case_no": case.case_no,
        "query_code_hash": keyed_hash(case.query_code, key=intake.settings.hash_key),
        "channel": cmd.channel,
        "region_code": cmd.region_code,
        "region_level": intake.regions[cmd.region_code].level,
        "category_code": cmd.category_code,
        "category_version": intake.category_version,
        "title": cmd.title,
        "content": cmd.facts or cmd.content or "",
        "request": cmd.request,
        "reasons": cmd.reasons,
        "matter_type": cmd.matter_type,
        "purpose": cmd.purpose,
        "flags": flags.model_dump_json(),
        "people_involved": max(cmd.people_involved, len(cmd.petitioners)),
        "receiving_office": office,
        "receiving_level": intake.departments[office].level,
        "registered_by": case.clerk,
        "accused_kind": accused.kind if accused else None,
        "accused_department_code": _accused_department(intake, cmd),
        "accused_unit_name": accused.unit_name if accused else None,
        "accused_person_sealed": (
            intake.pii.seal(accused.person_name) if accused and accused.person_name else None
        ),
        "repeat_of": repeat.related_case if repeat else None,
        "repeat_count": repeat.count if repeat else 0,
        "findings": json.dumps([r.model_dump() for r in reasons], ensure_ascii=False),
        "refusal_kind": refusal.kind if refusal else None,
        "status": "refused" if refusal else "registered",
        "received_at": case.now,
    }


def _accused_department(intake: Intake, cmd: PetitionCreate) -> str | None:
    """The accused unit's department code: given, or found by its exact name in the directory."""
    accused = cmd.accused
    if accused is None or accused.kind != "unit":
        return None
    if accused.department_code:
        return accused.department_code
    by_name = {d.name: d.code for d in intake.departments.values()}
    return by_name.get(accused.unit_name or "")


def _petitioner_rows(intake: Intake, rows: Rows, case: NewCase) -> list[PetitionerRef]:
    people = []
    seal, key = intake.pii.seal, intake.settings.hash_key
    for position, (p, ref) in enumerate(zip(case.cmd.petitioners, case.refs, strict=True), 1):
        number = normalise_id_number(p.id_number) if p.id_number else None
        rows.petitioners.append(
            {
                "case_no": case.case_no,
                "position": position,
                "kind": p.kind,
                "ref": ref,
                "name_sealed": seal(p.name or ""),
                "id_type": p.id_type,
                "id_number_sealed": seal(number) if number else None,
                "id_hash": keyed_hash(number, key=key) if number else None,
                "phone_sealed": seal(p.phone) if p.phone else None,
                "address_sealed": seal(p.address or ""),
                "address_region_code": p.address_region_code,
                "email_sealed": seal(p.email) if p.email else None,
            }
        )
        shown = mask_name(p.name) if p.name else "匿名"
        phone = mask_phone(p.phone) if p.phone else None
        people.append(PetitionerRef(ref=ref, name_masked=shown, phone_masked=phone))
    return people


def _seal_contacts(intake: Intake, case: NewCase) -> str:
    """What notify needs to write to the petitioners, readable by notify only."""
    contacts = [
        {"name": p.name, "email": p.email, "phone": p.phone, "address": p.address}
        for p in case.cmd.petitioners
    ]
    sealed = {"query_code": case.query_code, "contacts": contacts}
    return intake.notice_sealer.seal(json.dumps(sealed, ensure_ascii=False))


def _accused_ref(intake: Intake, cmd: PetitionCreate) -> AccusedRef | None:
    accused = cmd.accused
    if accused is None:
        return None
    person = mask_name(accused.person_name) if accused.person_name else None
    return AccusedRef(
        department_code=_accused_department(intake, cmd),
        unit_name=accused.unit_name,
        person_masked=person,
    )


def _emit(
    intake: Intake,
    session: AsyncSession,
    rows: Rows,
    case: NewCase,
    petition: Row,
    people: list[PetitionerRef],
    flags: PetitionFlags,
    reasons: list[FlagReason],
) -> None:
    cmd, refusal, now = case.cmd, case.found.refusal, case.now
    event = PetitionReceived(
        case_no=case.case_no,
        channel=cmd.channel,
        received_at=now,
        region_code=cmd.region_code,
        category_code=cmd.category_code,
        title=cmd.title,
        content=petition["content"],
        petitioners=people,
        people_involved=petition["people_involved"],
        contact_sealed=_seal_contacts(intake, case),
        matter_type=cmd.matter_type,
        purpose=cmd.purpose,
        receiving_office=petition["receiving_office"],
        accused=_accused_ref(intake, cmd),
        flags=flags,
        repeat_of=petition["repeat_of"],
        repeat_count=petition["repeat_count"],
        request=cmd.request,
        reasons=cmd.reasons,
        locality_level=petition["region_level"],
        category_version=petition["category_version"],
        attachments=[a.sha256 for a in cmd.attachments],
        registered_by=case.clerk,
        why_flagged=reasons,
        refused=refusal.kind if refusal else None,  # type: ignore[arg-type]
    )
    envelope = add_event(session, event, source=intake.source, now=now)
    rows.timeline.append(timeline_row(envelope, {"channel": cmd.channel}))
    if refusal is not None:
        refused = PetitionRefused(
            case_no=case.case_no,
            kind=refusal.kind,  # type: ignore[arg-type]
            reason=refusal.zh,
            reason_en=refusal.en,
            basis=refusal.basis,
            related_case=refusal.related_case,
            refused_at=now,
        )
        envelope = add_event(session, refused, source=intake.source, now=now)
        details = {"kind": refusal.kind, "reason": refusal.zh, "basis": refusal.basis}
        rows.timeline.append(timeline_row(envelope, details))
