"""Events applied together in one unit of work, as the consumer runner applies a fetched batch:
each handler sees what the earlier ones changed, and nothing is written unless all of it is."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import select

from xinfang.common.events import (
    AlertRaised,
    AssignmentAccepted,
    CaseStatusChanged,
    DeadlineScheduled,
)
from xinfang.common.messaging.tables import OutboxEvent
from xinfang.common.testing.builders import a_petition_received, a_petition_routed
from xinfang.supervision.domain import DeadlineKind
from xinfang.supervision.models import CaseRecord, Deadline
from xinfang.supervision.store import Store

ACCEPTED_AT = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)


async def deadlines(world: Any, case_no: str) -> dict[str, str]:
    async with world.sv.db.reading() as session:
        rows = (await session.exec(select(Deadline).where(Deadline.case_no == case_no))).all()
    return {row.kind: row.status for row in rows}


async def case(world: Any, case_no: str) -> CaseRecord | None:
    async with world.sv.db.reading() as session:
        return await session.get(CaseRecord, case_no)


async def test_a_case_registered_routed_and_accepted_in_one_batch_ends_as_if_applied_apart(
    world: Any,
) -> None:
    together, apart = world.case_no(), world.case_no()
    events = [
        lambda c: a_petition_received(case_no=c),
        lambda c: a_petition_routed(case_no=c, department_code="C_HOUSING", mode="assign"),
        lambda c: AssignmentAccepted(
            case_no=c, department_code="C_HOUSING", accepted_at=ACCEPTED_AT
        ),
    ]
    await world.apply_together(*(make(together) for make in events))
    for make in events:
        await world.apply(make(apart))

    assert (
        await deadlines(world, together)
        == await deadlines(world, apart)
        == {
            "routing": "met",
            "acceptance_notice": "met",
            "objection": "closed",
            "handling": "open",
        }
    )
    one, other = await case(world, together), await case(world, apart)
    assert one is not None and other is not None
    assert (one.status, one.department_code, one.routed_on, one.accepted_on, one.mode) == (
        other.status,
        other.department_code,
        other.routed_on,
        other.accepted_on,
        other.mode,
    )
    for type_ in (DeadlineScheduled.TYPE, CaseStatusChanged.TYPE):
        assert len(await world.emitted(together, type_)) == len(await world.emitted(apart, type_))


async def test_five_similar_petitions_in_one_batch_make_a_cluster_alert(world: Any) -> None:
    await world.apply_together(*(a_petition_received(case_no=world.case_no()) for _ in range(5)))

    cluster = [a for a in await world.emitted(None, AlertRaised.TYPE) if a["kind"] == "cluster"]
    assert len(cluster) == 1 and "5件" in cluster[0]["summary"]


async def test_a_batch_that_fails_writes_none_of_its_rows_or_events(world: Any) -> None:
    case_no = world.case_no()

    with pytest.raises(RuntimeError):
        async with world.sv.db.transaction() as session:
            await world.table[a_petition_received().TYPE](
                session, a_petition_received(case_no=case_no), None
            )
            assert (await Store.of(session).case(case_no)) is not None
            raise RuntimeError("the next event of the batch failed")

    assert await case(world, case_no) is None
    assert await deadlines(world, case_no) == {}
    async with world.sv.db.reading() as session:
        rows = (await session.exec(select(OutboxEvent).where(OutboxEvent.case_no == case_no))).all()
    assert rows == []


async def test_a_case_changed_by_two_handlers_of_a_batch_keeps_both_changes(world: Any) -> None:
    case_no = world.case_no()
    await world.apply(a_petition_received(case_no=case_no))

    await world.apply_together(
        a_petition_routed(case_no=case_no, department_code="C_HOUSING"),
        AssignmentAccepted(case_no=case_no, department_code="C_HOUSING", accepted_at=ACCEPTED_AT),
    )

    stored = await case(world, case_no)
    assert stored is not None
    assert (stored.status, stored.routed_on is not None, stored.accepted_on) == (
        "accepted",
        True,
        ACCEPTED_AT.date(),
    )


async def test_what_a_transaction_changed_is_not_read_again_over_its_change(world: Any) -> None:
    case_no = world.case_no()
    await world.apply(a_petition_received(case_no=case_no))

    async with world.sv.db.transaction() as session:
        store = Store.of(session)
        await store.load_cases([case_no])  # the case alone, as the scheduler reads them
        held = await store.case(case_no)
        assert held is not None
        held.title = "changed before its deadlines were read"
        routing = await store.deadline(case_no, DeadlineKind.ROUTING)  # reads the case's file
        assert routing is not None and await store.case(case_no) is held

    stored = await case(world, case_no)
    assert stored is not None and stored.title == "changed before its deadlines were read"
