"""A case's status, review chain, pauses, extensions and calendar recounts, through the handlers
and the API on a real database."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from xinfang.common.events import (
    AlertRaised,
    AssignmentAccepted,
    AssignmentObjected,
    CaseAnswered,
    CaseFinalised,
    CaseStatusChanged,
    DeadlineScheduled,
    ExtensionDecided,
    PetitionRefused,
    PoisonMessage,
    ReviewOpened,
    ReviewRequested,
)
from xinfang.common.testing.builders import a_petition_received, a_petition_routed
from xinfang.supervision import calendars
from xinfang.supervision.domain import TooEarly


def at(month: int, day: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, 2, 0, tzinfo=UTC)  # 10:00 China time


def answered(case_no: str, stage: str, on: datetime, dept: str = "C_HOUSING") -> CaseAnswered:
    return CaseAnswered(
        case_no=case_no,
        department_code=dept,
        stage=stage,  # type: ignore[arg-type]
        outcome="explained",
        summary="已答复",
        legal_basis="《信访工作条例》第三十二条",
        answered_at=on,
    )


async def accepted(world: Any, *, received: datetime = at(3, 2), **received_fields: Any) -> str:
    case_no = world.case_no()
    await world.apply(a_petition_received(case_no=case_no, received_at=received, **received_fields))
    await world.apply(a_petition_routed(case_no=case_no, routed_at=received))
    await world.apply(
        AssignmentAccepted(case_no=case_no, department_code="C_HOUSING", accepted_at=received)
    )
    return case_no


async def statuses(world: Any, case_no: str) -> list[str]:
    return [e["status"] for e in await world.emitted(case_no, CaseStatusChanged.TYPE)]


async def test_the_review_chain_runs_one_level_up_and_ends_final(world: Any) -> None:
    case_no = await accepted(world)
    await world.apply(answered(case_no, "handling", at(4, 1)))
    await world.apply(
        ReviewRequested(case_no=case_no, level="review", reason="不服", requested_at=at(4, 10))
    )
    await world.apply(answered(case_no, "review", at(4, 20), dept="C_GOV"))
    await world.apply(
        ReviewRequested(case_no=case_no, level="re_review", reason="仍不服", requested_at=at(4, 25))
    )
    await world.apply(answered(case_no, "re_review", at(5, 1), dept="C_GOV"))

    assert await statuses(world, case_no) == [
        "reviewing",
        "accepted",
        "answered",
        "in_review",
        "reviewed",
        "in_re_review",
        "re_reviewed",
        "concluded",
    ]
    opened = await world.emitted(case_no, ReviewOpened.TYPE)
    # 复查: C_HOUSING's parent, 30 days from 4-10 is Sunday 5-10, so Monday 5-11.
    assert [(o["level"], o["body_department_code"], o["due_on"]) for o in opened] == [
        ("review", "C_GOV", "2026-05-11"),
        ("re_review", "C_GOV", "2026-05-25"),
    ]
    [final] = await world.emitted(case_no, CaseFinalised.TYPE)
    assert "三级终结" in final["reason"]


async def test_a_review_asked_for_after_its_window_opens_nothing(world: Any) -> None:
    case_no = await accepted(world)
    await world.apply(answered(case_no, "handling", at(4, 1)))  # window to 5-06 (after May Day)

    await world.apply(
        ReviewRequested(case_no=case_no, level="review", reason="不服", requested_at=at(5, 7))
    )

    assert await world.emitted(case_no, ReviewOpened.TYPE) == []
    assert (await statuses(world, case_no))[-1] == "answered"


async def test_an_unused_review_window_lapses_and_the_matter_is_final(world: Any) -> None:
    case_no = await accepted(world)
    await world.apply(answered(case_no, "handling", at(4, 1)))
    world.on(2026, 5, 7)

    await world.tick()

    assert (await statuses(world, case_no))[-2:] == ["review_lapsed", "concluded"]
    assert len(await world.emitted(case_no, CaseFinalised.TYPE)) == 1


async def test_an_impossible_transition_is_a_poison_message_and_changes_nothing(
    world: Any,
) -> None:
    case_no = await accepted(world)
    await world.apply(answered(case_no, "handling", at(4, 1)))

    with pytest.raises(PoisonMessage, match="已作出处理意见 → 受理"):
        await world.apply(
            AssignmentAccepted(case_no=case_no, department_code="C_HOUSING", accepted_at=at(4, 2))
        )
    # Accepted before its registration was applied: early, so retried rather than dead-lettered.
    with pytest.raises(TooEarly, match="not registered here yet"):
        await world.apply(
            AssignmentAccepted(
                case_no=world.case_no(), department_code="C_EDU", accepted_at=at(4, 2)
            )
        )
    assert (await statuses(world, case_no))[-1] == "answered"


async def test_a_refused_petition_is_not_accepted_and_its_routing_clock_is_met(
    world: Any, api: Any
) -> None:
    case_no = world.case_no()
    await world.apply(a_petition_received(case_no=case_no))
    await world.apply(
        PetitionRefused(
            case_no=case_no,
            kind="not_accepted",
            reason="属诉讼事项",
            basis="《信访工作条例》第三十一条",
            refused_at=at(3, 3),
        )
    )

    timeline = (
        await api.get(f"/api/v1/cases/{case_no}/timeline", headers=world.auth_supervisor())
    ).json()
    assert timeline["status_zh"] == "不予受理"
    assert [(d["kind"], d["status"]) for d in timeline["deadlines"]] == [("routing", "met")]


async def test_an_objection_returns_the_case_and_a_new_routing_restarts_the_notice_clock(
    world: Any,
) -> None:
    case_no = world.case_no()
    await world.apply(a_petition_received(case_no=case_no))
    await world.apply(a_petition_routed(case_no=case_no, department_code="C_EDU"))
    await world.apply(
        AssignmentObjected(
            case_no=case_no, department_code="C_EDU", reason="不属本单位职责", objected_at=at(3, 3)
        )
    )
    await world.apply(
        a_petition_routed(case_no=case_no, department_code="C_HOUSING", routed_at=at(3, 4))
    )

    scheduled = await world.emitted(case_no, DeadlineScheduled.TYPE)
    notices = [
        (e["department_code"], e["due_on"]) for e in scheduled if e["kind"] == "acceptance_notice"
    ]
    assert notices == [("C_EDU", "2026-03-17"), ("C_HOUSING", "2026-03-19")]


async def test_an_approved_extension_moves_the_handling_deadline_once(world: Any) -> None:
    case_no = await accepted(world)  # handling 3-02 + 60 = 5-01 (May Day) → 5-06
    decided = {
        "case_no": case_no,
        "department_code": "C_HOUSING",
        "reason": "案情复杂",
        "decided_at": at(4, 20),
    }
    await world.apply(ExtensionDecided(approved=True, days=30, **decided))
    await world.apply(ExtensionDecided(approved=True, days=30, **decided))  # once only

    handling = [
        e for e in await world.emitted(case_no, DeadlineScheduled.TYPE) if e["kind"] == "handling"
    ]
    assert [e["due_on"] for e in handling] == ["2026-05-06", "2026-06-05"]
    assert "经批准延期30日" in handling[-1]["basis"]


async def test_a_hearing_pauses_the_clock_and_resuming_adds_the_days(world: Any, api: Any) -> None:
    case_no = await accepted(world)
    await world.apply(answered(case_no, "handling", at(3, 5)))
    await world.apply(
        ReviewRequested(case_no=case_no, level="review", reason="不服", requested_at=at(3, 6))
    )
    await world.apply(answered(case_no, "review", at(3, 10), dept="C_GOV"))
    await world.apply(
        ReviewRequested(case_no=case_no, level="re_review", reason="仍不服", requested_at=at(3, 11))
    )  # decision due 4-10
    url = f"/api/v1/cases/{case_no}/deadlines/re_review_decision"
    world.on(2026, 3, 20)
    paused = await api.post(
        f"{url}/pause", json={"reason": "听证"}, headers=world.auth_supervisor()
    )
    world.on(2026, 4, 30)
    assert (await world.tick()).missed == 0  # paused: nothing fires past the old date
    world.on(2026, 5, 6)
    resumed = await api.post(f"{url}/resume", headers=world.auth_supervisor())
    again = await api.post(f"{url}/resume", headers=world.auth_supervisor())

    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    # 4-10 + 47 days paused (3-20 → 5-06) = Wednesday 5-27.
    assert resumed.json()["due_on"] == "2026-05-27"
    assert "中止计算47日" in resumed.json()["basis"]
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "kind"


async def test_a_provisional_deadline_raises_one_alert_and_is_recounted_when_the_file_appears(
    world: Any, calendar_dir: Path
) -> None:
    case_no = await accepted(world, received=at(12, 10))  # handling into February 2027
    other = await accepted(world, received=at(12, 11))
    world.on(2026, 12, 12)

    first = await world.tick()
    shutil.copy(calendars.SAMPLE_DIR / "2027.json", calendar_dir / "2027.json")
    second = await world.tick()
    third = await world.tick()

    handling = [
        e for e in await world.emitted(case_no, DeadlineScheduled.TYPE) if e["kind"] == "handling"
    ]
    assert [(e["due_on"], e["provisional"]) for e in handling] == [
        ("2027-02-08", True),
        ("2027-02-15", False),
    ]
    assert (first.recounted, second.recounted, third.recounted) == (0, 2, 0)
    alerts = [a for a in await world.emitted(None, AlertRaised.TYPE) if a["kind"] == "calendar"]
    assert len(alerts) == 1 and "2027" in alerts[0]["summary"]
    assert other


async def test_supervisors_issue_orders_and_name_a_responsible_leader(world: Any, api: Any) -> None:
    case_no = await accepted(world)
    order = await api.post(
        f"/api/v1/cases/{case_no}/orders",
        json={
            "kind": "recommendation",
            "department_code": "C_HOUSING",
            "reason": "答复过于简单，建议补充依据",
            "feedback_days": 10,
        },
        headers=world.auth_supervisor(),
    )
    leader = await api.put(
        f"/api/v1/cases/{case_no}/leader",
        json={"leader": "王副市长", "plan": "月底前现场协调"},
        headers=world.auth_supervisor(),
    )
    foreign = await api.post(
        f"/api/v1/orders/{order.json()['order_id']}/feedback",
        json={"feedback": "不是我们"},
        headers=world.auth_handler("C_EDU"),
    )
    mine = await api.get("/api/v1/orders", headers=world.auth_handler("C_EDU"))
    timeline = (
        await api.get(f"/api/v1/cases/{case_no}/timeline", headers=world.auth_supervisor())
    ).json()

    assert order.status_code == 201
    assert order.json()["feedback_due_on"] == "2026-03-12"
    assert leader.status_code == 200
    assert foreign.status_code == 403 and mine.json() == []
    assert timeline["responsible_leader"] == "王副市长"
    assert any("改进建议" in e["text"] for e in timeline["entries"])
    assert any(d["kind"] == "handling" and "第34条" in d["basis"] for d in timeline["deadlines"])


async def test_a_bad_or_misaddressed_order_is_refused_and_stores_nothing(
    world: Any, api: Any
) -> None:
    case_no = await accepted(world)
    too_short = await api.post(
        f"/api/v1/cases/{case_no}/orders",
        json={"department_code": "C_HOUSING", "reason": "x"},
        headers=world.auth_supervisor(),
    )
    unknown = await api.post(
        "/api/v1/cases/XF0000/orders",
        json={"department_code": "C_HOUSING", "reason": "请说明情况"},
        headers=world.auth_supervisor(),
    )
    assert too_short.status_code == 422
    assert too_short.json()["errors"][0]["field"] == "reason"
    assert unknown.status_code == 404
    assert (await api.get("/api/v1/orders", headers=world.auth_supervisor())).json() == []


async def test_an_operator_reloads_the_calendars_and_the_provisional_deadlines_are_recounted(
    world: Any, api: Any, calendar_dir: Path
) -> None:
    from xinfang.common.auth import Role

    case_no = await accepted(world, received=at(12, 10))
    shutil.copy(calendars.SAMPLE_DIR / "2027.json", calendar_dir / "2027.json")

    denied = await api.post("/api/v1/admin/calendars/reload", headers=world.auth_supervisor())
    reloaded = await api.post("/api/v1/admin/calendars/reload", headers=world.auth(Role.OPERATOR))
    deadlines = (
        await api.get(f"/api/v1/cases/{case_no}/deadlines", headers=world.auth_supervisor())
    ).json()

    assert denied.status_code == 403
    assert reloaded.json() == {"years": [2027], "recounted": 1}
    handling = next(d for d in deadlines if d["kind"] == "handling")
    assert (handling["due_on"], handling["provisional"]) == ("2027-02-15", False)
