"""Warnings, overdue, supervision orders and escalation, fired by the scheduler on a manual clock.

The case: registered and routed Monday 2 March 2026, accepted Tuesday 3 March. Handling runs 60
days to Saturday 2 May, inside May Day (5-01…5-05), so it ends Wednesday 6 May. Its warnings fall
at half the 64 days (4 April), at 80 % (24 April) and the day before (5 May).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from xinfang.common.events import (
    AssignmentAccepted,
    CaseAnswered,
    DeadlineMissed,
    DeadlineWarned,
    SupervisionEscalated,
    SupervisionOrderIssued,
)
from xinfang.common.testing.builders import a_petition_received, a_petition_routed
from xinfang.supervision.models import CaseRecord

ACCEPTED_AT = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)


async def an_accepted_case(world: Any) -> str:
    case_no = world.case_no()
    await world.apply(a_petition_received(case_no=case_no))
    await world.apply(a_petition_routed(case_no=case_no, department_code="C_HOUSING"))
    await world.apply(
        AssignmentAccepted(case_no=case_no, department_code="C_HOUSING", accepted_at=ACCEPTED_AT)
    )
    return case_no


async def fired(world: Any, case_no: str) -> list[tuple[str, str]]:
    """What the scheduler announced about the case, in order: (type, detail)."""
    out = []
    for e in await world.emitted(case_no, DeadlineWarned.TYPE):
        out.append(("warned", f"{e['kind']}:{e['level']}"))
    for e in await world.emitted(case_no, DeadlineMissed.TYPE):
        out.append(("missed", e["kind"]))
    for e in await world.emitted(case_no, SupervisionOrderIssued.TYPE):
        out.append(("order", f"{e['department_code']}:{e['feedback_due_on']}"))
    for e in await world.emitted(case_no, SupervisionEscalated.TYPE):
        out.append(("escalated", e["step"]))
    return out


TIMELINE = [
    ((2026, 4, 3), []),
    ((2026, 4, 4), [("warned", "handling:half")]),
    ((2026, 4, 24), [("warned", "handling:eighty")]),
    ((2026, 5, 5), [("warned", "handling:day_before")]),
    ((2026, 5, 6), []),
    ((2026, 5, 7), [("missed", "handling"), ("order", "C_HOUSING:2026-05-22")]),
    ((2026, 5, 22), []),
    ((2026, 5, 23), [("escalated", "department_head")]),
    ((2026, 5, 28), [("escalated", "responsible_leader")]),
    ((2026, 6, 2), [("escalated", "public_notice")]),
    ((2026, 7, 30), []),
]


async def test_warnings_overdue_order_and_escalation_each_fire_once_on_their_day(
    world: Any,
) -> None:
    case_no = await an_accepted_case(world)
    seen: list[tuple[str, str]] = []
    for day, expected in TIMELINE:
        world.on(*day)
        await world.tick()
        await world.tick()  # a second tick the same day fires nothing more
        now = await fired(world, case_no)
        assert sorted(set(now) - set(seen)) == sorted(expected), day
        assert len(now) == len(seen) + len(expected), day
        seen = now

    async with world.sv.db.reading() as session:
        case = await session.get(CaseRecord, case_no)
    assert case is not None and case.overdue and case.status == "answer_overdue"


async def test_after_downtime_one_tick_catches_up_without_stale_warnings(world: Any) -> None:
    case_no = await an_accepted_case(world)
    world.on(2026, 5, 10)  # the service was down from March to May

    result = await world.tick()

    assert (result.warned, result.missed) == (0, 1)
    assert await fired(world, case_no) == [
        ("missed", "handling"),
        ("order", "C_HOUSING:2026-05-25"),
    ]


async def test_an_answered_order_stops_escalating(world: Any, api: Any) -> None:
    case_no = await an_accepted_case(world)
    world.on(2026, 5, 7)
    await world.tick()
    [order] = (await api.get("/api/v1/orders", headers=world.auth_supervisor())).json()

    answer = await api.post(
        f"/api/v1/orders/{order['order_id']}/feedback",
        json={"feedback": "已约谈承办人，本周内答复"},
        headers=world.auth_handler("C_HOUSING"),
    )
    world.on(2026, 6, 30)
    await world.tick()

    assert answer.status_code == 200 and answer.json()["status"] == "answered"
    assert ("escalated", "department_head") not in await fired(world, case_no)


async def test_two_instances_on_one_database_fire_each_timer_once(
    world: Any, second_world: Any
) -> None:
    cases = [await an_accepted_case(world) for _ in range(20)]
    for day, _ in TIMELINE:
        world.on(*day)
        second_world.on(*day)
        results = await asyncio.gather(world.tick(), second_world.tick())
        assert sum(r.missed for r in results) in (0, len(cases))

    for case_no in cases:
        assert sorted(await fired(world, case_no)) == sorted(
            event for _, events in TIMELINE for event in events
        ), case_no


async def test_two_instances_taking_small_batches_fire_each_timer_once(world_with: Any) -> None:
    one, other = await world_with(scheduler_batch=2), await world_with(scheduler_batch=3)
    cases = [await an_accepted_case(one) for _ in range(7)]
    for day, _ in TIMELINE:
        one.on(*day)
        other.on(*day)
        await asyncio.gather(one.tick(), other.tick())

    for case_no in cases:
        assert sorted(await fired(one, case_no)) == sorted(
            event for _, events in TIMELINE for event in events
        ), case_no


async def test_a_late_answer_resolves_the_order_that_chased_it(world: Any, api: Any) -> None:
    case_no = await an_accepted_case(world)
    world.on(2026, 5, 7)
    await world.tick()

    await world.apply(
        CaseAnswered(
            case_no=case_no,
            department_code="C_HOUSING",
            outcome="explained",
            summary="已答复",
            legal_basis="《信访工作条例》第三十二条",
            answered_at=datetime(2026, 5, 8, 2, 0, tzinfo=UTC),
        )
    )
    world.on(2026, 6, 30)
    await world.tick()

    orders = (await api.get("/api/v1/orders", headers=world.auth_supervisor())).json()
    assert [(o["case_no"], o["status"]) for o in orders] == [(case_no, "resolved")]
    assert ("escalated", "department_head") not in await fired(world, case_no)


async def test_timers_live_in_the_database_and_a_fresh_instance_fires_them(
    world: Any, world_with: Any
) -> None:
    case_no = await an_accepted_case(world)
    restarted = await world_with(instance_id="after-restart")  # nothing carried over in memory
    restarted.on(2026, 4, 24)

    await restarted.tick()

    assert await fired(world, case_no) == [("warned", "handling:eighty")]


async def test_overdue_cases_and_missing_zero_reports_are_gauges_operators_can_alert_on(
    world: Any,
) -> None:
    await an_accepted_case(world)
    world.on(2026, 5, 7, hour=11)  # handling missed; past the 10 o'clock zero-report hour
    await world.tick()

    text = world.sv.metrics.exposition().decode()
    assert 'xinfang_supervision_overdue_cases{department="C_HOUSING"} 1.0' in text
    missing = len(world.sv.ctx.early.units)
    assert f"xinfang_supervision_zero_reports_missing_units {float(missing)}" in text
