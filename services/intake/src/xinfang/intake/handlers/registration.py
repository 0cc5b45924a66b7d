"""Registering a petition (登记): validate, detect, store sealed, and emit — in one transaction."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common.crypto import keyed_hash
from xinfang.common.events import AccusedRef, PetitionerRef, PetitionReceived, PetitionRefused
from xinfang.common.events.petition import FlagReason, PetitionFlags
from xinfang.common.logging import get_logger
from xinfang.common.messaging.outbox import add_event
from xinfang.common.privacy import mask_name, mask_phone
from xinfang.intake import domain, repository
from xinfang.intake.domain import detection
from xinfang.intake.domain.identity import normalise_id_number
from xinfang.intake.domain.refusals import Refusal, refusal_for
from xinfang.intake.handlers.timeline import add_timeline
from xinfang.intake.models import (
    Petition,
    PetitionAttachment,
    PetitionCreate,
    PetitionCreated,
    Petitioner,
    PetitionerCreate,
)
from xinfang.intake.validation import Problems, check_petition

if TYPE_CHECKING:
    from xinfang.intake.bootstrap import Intake

log = get_logger(__name__)


async def register_petition(
    intake: Intake, cmd: PetitionCreate, *, clerk: str | None = None
) -> PetitionCreated:
    """Register a petition: store it, its sealed petitioners and its events, at once.

    Everything is checked first; a rejected petition stores nothing.
    """
    check_petition(intake, cmd)
    await _check_attachments(intake, cmd)
    for attempt in range(3):
        try:
            return await _register(intake, cmd, clerk)
        except IntegrityError:  # two instances opened the same day's counter; take the next
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def _check_attachments(intake: Intake, cmd: PetitionCreate) -> None:
    wanted = [a.sha256 for a in cmd.attachments]
    async with intake.db.reading() as session:
        known = await repository.known_attachments(session, hashes=wanted)
    problems = Problems()
    for i, sha in enumerate(wanted):
        if sha not in known:
            problems.add(
                "unknown_attachment",
                f"attachments.{i}.sha256",
                "附件不存在，请先上传",
                "no attachment with this hash: upload it first",
            )
    problems.raise_if_any()


def petitioner_ref(intake: Intake, person: PetitionerCreate) -> str:
    """The pseudonymous reference: the ID number's HMAC when given, else name and contact."""
    key = intake.settings.hash_key
    if person.id_number:
        return keyed_hash(f"id:{normalise_id_number(person.id_number)}", key=key)[:24]
    contact = person.phone or person.address or person.email or ""
    return keyed_hash(f"{person.name or ''}|{contact}", key=key)[:24]


def statement(cmd: PetitionCreate) -> str:
    """Facts, request and reasons as one text: what 'the same matter' is compared on."""
    return " ".join(t for t in (cmd.facts or cmd.content, cmd.request, cmd.reasons) if t)


async def _detect(
    intake: Intake, session: AsyncSession, cmd: PetitionCreate, refs: list[str]
) -> tuple[list[detection.Finding], Refusal | None]:
    s = intake.settings
    now = intake.clock.now()
    earlier = await repository.earlier_cases(
        session,
        refs=[r for r, p in zip(refs, cmd.petitioners, strict=True) if p.name or p.id_number],
        since=now - timedelta(days=s.repeat_window_days),
        closed_after=now - timedelta(days=s.review_window_days),
    )
    matches = detection.similar_earlier(statement(cmd), earlier, threshold=s.repeat_similarity)
    office_level = intake.departments[cmd.receiving_office or s.receiving_office].level
    locality_level = intake.regions[cmd.region_code].level
    findings = [
        detection.repeat_finding(matches),
        detection.collective_finding(cmd.people_involved, threshold=s.collective_threshold),
        detection.leapfrog_finding(office_level=office_level, locality_level=locality_level),
    ]
    refusal = refusal_for(
        matches=[m for m, _ in matches],
        office_level=office_level,
        court_related=cmd.flags.court_related,
    )
    return [f for f in findings if f is not None], refusal


async def _register(intake: Intake, cmd: PetitionCreate, clerk: str | None) -> PetitionCreated:
    now = intake.clock.now()
    query_code = domain.new_query_code()
    refs = [petitioner_ref(intake, p) for p in cmd.petitioners]
    async with intake.db.transaction() as session:
        serial = await repository.next_serial(session, day=domain.case_day(now))
        case_no = domain.case_number(domain.case_day(now), serial)
        findings, refusal = await _detect(intake, session, cmd, refs)
        petition = _petition(intake, cmd, case_no, query_code, findings, refusal, clerk)
        session.add(petition)  # the unit of work inserts it before the rows that refer to it
        people = _add_petitioners(intake, session, case_no, cmd, refs)
        for a in cmd.attachments:
            session.add(PetitionAttachment(case_no=case_no, sha256=a.sha256, filename=a.filename))
        _emit(intake, session, cmd, petition, people, query_code, refusal)
    _count(intake, cmd, findings, refusal)
    log.info("petition_registered", case_no=case_no, channel=cmd.channel, refused=bool(refusal))
    return PetitionCreated(
        case_no=case_no,
        query_code=query_code,
        refused=refusal is not None,
        flags=[f.rule for f in findings] + ([refusal.kind] if refusal else []),
    )


def _count(
    intake: Intake, cmd: PetitionCreate, findings: list[detection.Finding], refusal: Refusal | None
) -> None:
    m = intake.intake_metrics
    m.registrations.labels(cmd.channel, "refused" if refusal else "accepted").inc()
    for finding in findings:
        m.detections.labels(finding.rule).inc()
    if refusal:
        m.detections.labels(refusal.kind).inc()


def _flags(cmd: PetitionCreate, findings: list[detection.Finding]) -> PetitionFlags:
    rules = {f.rule for f in findings}
    return PetitionFlags(
        **cmd.flags.model_dump(),
        collective="collective" in rules,
        leapfrog="leapfrog" in rules,
        repeat="repeat" in rules,
    )


def _reasons(findings: list[detection.Finding], refusal: Refusal | None) -> list[FlagReason]:
    reasons = [FlagReason(**asdict(f)) for f in findings]  # `count` is dropped
    if refusal is not None:
        reasons.append(
            FlagReason(
                rule=refusal.kind, zh=refusal.zh, en=refusal.en, related_case=refusal.related_case
            )
        )
    return reasons


def _petition(
    intake: Intake,
    cmd: PetitionCreate,
    case_no: str,
    query_code: str,
    findings: list[detection.Finding],
    refusal: Refusal | None,
    clerk: str | None,
) -> Petition:
    office = cmd.receiving_office or intake.settings.receiving_office
    repeat = next((f for f in findings if f.rule == "repeat"), None)
    accused = cmd.accused
    return Petition(
        case_no=case_no,
        query_code_hash=keyed_hash(query_code, key=intake.settings.hash_key),
        channel=cmd.channel,
        region_code=cmd.region_code,
        region_level=intake.regions[cmd.region_code].level,
        category_code=cmd.category_code,
        category_version=intake.category_version,
        title=cmd.title,
        content=cmd.facts or cmd.content or "",
        request=cmd.request,
        reasons=cmd.reasons,
        matter_type=cmd.matter_type,
        purpose=cmd.purpose,
        flags=_flags(cmd, findings).model_dump_json(),
        people_involved=max(cmd.people_involved, len(cmd.petitioners)),
        receiving_office=office,
        receiving_level=intake.departments[office].level,
        registered_by=clerk,
        accused_kind=accused.kind if accused else None,
        accused_department_code=_accused_department(intake, cmd),
        accused_unit_name=accused.unit_name if accused else None,
        accused_person_sealed=(
            intake.pii.seal(accused.person_name) if accused and accused.person_name else None
        ),
        repeat_of=repeat.related_case if repeat else None,
        repeat_count=repeat.count if repeat else 0,
        findings=json.dumps(
            [r.model_dump() for r in _reasons(findings, refusal)], ensure_ascii=False
        ),
        refusal_kind=refusal.kind if refusal else None,
        status="refused" if refusal else "registered",
        received_at=intake.clock.now(),
    )


def _accused_department(intake: Intake, cmd: PetitionCreate) -> str | None:
    """The accused unit's department code: given, or found by its exact name in the directory."""
    accused = cmd.accused
    if accused is None or accused.kind != "unit":
        return None
    if accused.department_code:
        return accused.department_code
    by_name = {d.name: d.code for d in intake.departments.values()}
    return by_name.get(accused.unit_name or "")


def _add_petitioners(
    intake: Intake, session: AsyncSession, case_no: str, cmd: PetitionCreate, refs: list[str]
) -> list[PetitionerRef]:
    people = []
    seal = intake.pii.seal
    for position, (p, ref) in enumerate(zip(cmd.petitioners, refs, strict=True), start=1):
        number = normalise_id_number(p.id_number) if p.id_number else None
        session.add(
            Petitioner(
                case_no=case_no,
                position=position,
                kind=p.kind,
                ref=ref,
                name_sealed=seal(p.name or ""),
                id_type=p.id_type,
                id_number_sealed=seal(number) if number else None,
                id_hash=keyed_hash(number, key=intake.settings.hash_key) if number else None,
                phone_sealed=seal(p.phone) if p.phone else None,
                address_sealed=seal(p.address or ""),
                address_region_code=p.address_region_code,
                email_sealed=seal(p.email) if p.email else None,
            )
        )
        shown = mask_name(p.name) if p.name else "匿名"
        people.append(
            PetitionerRef(
                ref=ref, name_masked=shown, phone_masked=mask_phone(p.phone) if p.phone else None
            )
        )
    return people


def _seal_contacts(intake: Intake, cmd: PetitionCreate, query_code: str) -> str:
    """What notify needs to write to the petitioners, readable by notify only."""
    contacts = [
        {"name": p.name, "email": p.email, "phone": p.phone, "address": p.address}
        for p in cmd.petitioners
    ]
    sealed = {"query_code": query_code, "contacts": contacts}
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
    cmd: PetitionCreate,
    petition: Petition,
    people: list[PetitionerRef],
    query_code: str,
    refusal: Refusal | None,
) -> None:
    reasons = [FlagReason.model_validate(r) for r in json.loads(petition.findings)]
    event = PetitionReceived(
        case_no=petition.case_no,
        channel=cmd.channel,
        received_at=petition.received_at,
        region_code=cmd.region_code,
        category_code=cmd.category_code,
        title=cmd.title,
        content=petition.content,
        petitioners=people,
        people_involved=petition.people_involved,
        contact_sealed=_seal_contacts(intake, cmd, query_code),
        matter_type=cmd.matter_type,
        purpose=cmd.purpose,
        receiving_office=petition.receiving_office,
        accused=_accused_ref(intake, cmd),
        flags=PetitionFlags.model_validate_json(petition.flags),
        repeat_of=petition.repeat_of,
        repeat_count=petition.repeat_count,
        request=cmd.request,
        reasons=cmd.reasons,
        locality_level=petition.region_level,
        category_version=petition.category_version,
        attachments=[a.sha256 for a in cmd.attachments],
        registered_by=petition.registered_by,
        why_flagged=reasons,
        refused=refusal.kind if refusal else None,  # type: ignore[arg-type]
    )
    now = petition.received_at
    envelope = add_event(session, event, source=intake.source, now=now)
    add_timeline(session, envelope, {"channel": cmd.channel})
    if refusal is not None:
        refused = PetitionRefused(
            case_no=petition.case_no,
            kind=refusal.kind,  # type: ignore[arg-type]
            reason=refusal.zh,
            reason_en=refusal.en,
            basis=refusal.basis,
            related_case=refusal.related_case,
            refused_at=now,
        )
        envelope = add_event(session, refused, source=intake.source, now=now)
        add_timeline(
            session, envelope, {"kind": refusal.kind, "reason": refusal.zh, "basis": refusal.basis}
        )
