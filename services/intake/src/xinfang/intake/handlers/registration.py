"""Registering a petition (登记): validate, detect, store sealed, and emit — in one transaction.

Concurrent registrations share that transaction (group commit): the request checks and prepares
its petition, then waits for the next batch; the batch takes its case numbers in one statement,
looks up every petitioner's earlier cases in one query, inserts each table's rows in one
executemany and commits once. Each request is answered after that commit, so nothing is
acknowledged before it is on disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError

from xinfang.common.crypto import keyed_hash
from xinfang.common.logging import get_logger
from xinfang.common.tracing import continue_trace, current_traceparent, trace_id_of
from xinfang.intake import domain, repository
from xinfang.intake.domain import detection
from xinfang.intake.domain.identity import normalise_id_number
from xinfang.intake.domain.refusals import refusal_for
from xinfang.intake.handlers.records import Found, NewCase, Rows, add_case
from xinfang.intake.models import PetitionCreate, PetitionCreated, PetitionerCreate
from xinfang.intake.validation import Problems, check_petition

if TYPE_CHECKING:
    from xinfang.intake.bootstrap import Intake

log = get_logger(__name__)


@dataclass(frozen=True)
class Registration:
    """A petition checked and prepared outside the transaction, waiting for its batch."""

    cmd: PetitionCreate
    clerk: str | None
    refs: list[str]  # each petitioner's pseudonymous reference
    matching: frozenset[str]  # those the repeat rules match on (named or identified people)
    query_code: str
    traceparent: str | None  # the request's: its events carry it, not the batch's first one


async def register_petition(
    intake: Intake, cmd: PetitionCreate, *, clerk: str | None = None
) -> PetitionCreated:
    """Register a petition: store it, its sealed petitioners and its events, at once.

    Everything is checked first; a rejected petition stores nothing.
    """
    check_petition(intake, cmd)
    await _check_attachments(intake, cmd)
    refs = [petitioner_ref(intake, p) for p in cmd.petitioners]
    named = [r for r, p in zip(refs, cmd.petitioners, strict=True) if p.name or p.id_number]
    registration = Registration(
        cmd, clerk, refs, frozenset(named), domain.new_query_code(), current_traceparent()
    )
    return await intake.registrations.submit(registration)


async def write_registrations(intake: Intake, batch: list[Registration]) -> list[PetitionCreated]:
    """Register a batch in one transaction; the results in the batch's order."""
    for attempt in range(3):
        try:
            return await _write(intake, batch)
        except IntegrityError:  # two instances opened the same day's counter; take the next
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def _check_attachments(intake: Intake, cmd: PetitionCreate) -> None:
    wanted = [a.sha256 for a in cmd.attachments]
    if not wanted:
        return
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


async def _write(intake: Intake, batch: list[Registration]) -> list[PetitionCreated]:
    s, now = intake.settings, intake.clock.now()
    day = domain.case_day(now)
    cases, rows = [], Rows()
    async with intake.db.transaction() as session:
        serials = await repository.take_serials(session, day=day, count=len(batch))
        earlier = await repository.earlier_cases(
            session,
            refs=set().union(*(r.matching for r in batch)),
            since=now - timedelta(days=s.repeat_window_days),
            closed_after=now - timedelta(days=s.review_window_days),
        )
        for serial, registration in zip(serials, batch, strict=True):
            continue_trace(registration.traceparent)
            case = _new_case(intake, registration, domain.case_number(day, serial), earlier, now)
            add_case(intake, session, rows, case)
            cases.append(case)
            # A later petition of the same batch sees this one as earlier, as if sequential.
            earlier.append(_as_earlier(intake, registration, case))
        await rows.insert(session)
    for case, registration in zip(cases, batch, strict=True):
        _count(intake, case)
        log.info(
            "petition_registered",
            case_no=case.case_no,
            channel=case.cmd.channel,
            refused=case.found.refusal is not None,
            trace_id=trace_id_of(registration.traceparent),
        )
    return [_created(case) for case in cases]


def _new_case(
    intake: Intake,
    registration: Registration,
    case_no: str,
    earlier: list[detection.EarlierCase],
    now: datetime,
) -> NewCase:
    mine = [c for c in earlier if c.refs & registration.matching]
    return NewCase(
        case_no=case_no,
        cmd=registration.cmd,
        query_code=registration.query_code,
        refs=registration.refs,
        clerk=registration.clerk,
        found=_detect(intake, registration.cmd, mine),
        now=now,
    )


def _detect(intake: Intake, cmd: PetitionCreate, earlier: list[detection.EarlierCase]) -> Found:
    """Repeat, collective and leapfrog rules and the refusals, against the petitioners' earlier
    cases."""
    s = intake.settings
    matches = detection.similar_earlier(statement(cmd), earlier, threshold=s.repeat_similarity)
    office_level = _office_level(intake, cmd)
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
    return Found([f for f in findings if f is not None], refusal)


def _office_level(intake: Intake, cmd: PetitionCreate) -> str:
    return intake.departments[cmd.receiving_office or intake.settings.receiving_office].level


def _as_earlier(intake: Intake, registration: Registration, case: NewCase) -> detection.EarlierCase:
    return detection.EarlierCase(
        case_no=case.case_no,
        text=statement(case.cmd),
        received_at=case.now,
        office_level=_office_level(intake, case.cmd),
        finalised=False,
        closed=case.found.refusal is not None,
        refs=registration.matching,
    )


def _created(case: NewCase) -> PetitionCreated:
    refusal = case.found.refusal
    return PetitionCreated(
        case_no=case.case_no,
        query_code=case.query_code,
        refused=refusal is not None,
        flags=[f.rule for f in case.found.findings] + ([refusal.kind] if refusal else []),
    )


def _count(intake: Intake, case: NewCase) -> None:
    m, refusal = intake.intake_metrics, case.found.refusal
    m.registrations.labels(case.cmd.channel, "refused" if refusal else "accepted").inc()
    for finding in case.found.findings:
        m.detections.labels(finding.rule).inc()
    if refusal:
        m.detections.labels(refusal.kind).inc()
