"""The department workbench API on a real database: every action, its event on the department's
subject, the deadlines, and the scoping of a department to its own cases."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx

from xinfang.common.auth import Role
from xinfang.common.clock import ManualClock
from xinfang.common.events import PetitionFlags, PetitionReceived

Bearer = Callable[..., dict[str, str]]
Route = Callable[[PetitionReceived], Awaitable[None]]
Outbox = Callable[[str], Awaitable[list[tuple[str, dict[str, Any]]]]]
BASE = "/api/v1/workbench/assignments"
ANSWER = {
    "request": "请求拆除违章棚屋",
    "facts_and_reasons": "经现场核查，棚屋系违法建设，已责令限期拆除。",
    "outcome": "supported",
    "legal_basis": "《中华人民共和国城乡规划法》第六十四条",
}


async def urban_case(route: Route, a_petition: Callable[..., PetitionReceived], **kw: Any) -> str:
    petition = a_petition(**kw)
    await route(petition)
    return petition.case_no


async def test_a_department_lists_its_cases_with_deadlines_and_reads_one_with_masked_petitioners(
    client: httpx.AsyncClient,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
) -> None:
    case_no = await urban_case(route, a_petition)
    me = bearer(Role.HANDLER, department="C_URBAN")

    listed = await client.get(BASE, headers=me)
    detail = await client.get(f"{BASE}/{case_no}", headers=me)
    audit = await client.get(f"/api/v1/admin/audit/{case_no}", headers=bearer(Role.ADMIN))

    [mine] = [a for a in listed.json() if a["case_no"] == case_no]
    assert (mine["route_due_on"], mine["object_due_on"]) == ("2026-03-17", "2026-03-09")
    assert detail.json()["petitioners"] == [{"name_masked": "王*", "phone_masked": "138****0000"}]
    assert "由江宁市城市管理局主管" in detail.json()["reason"]
    assert [(e["action"], e["actor"]) for e in audit.json()] == [("case.viewed", "test-handler")]


async def test_department_a_can_neither_list_nor_read_nor_act_on_department_bs_cases(
    client: httpx.AsyncClient,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
) -> None:
    case_no = await urban_case(route, a_petition)
    other = bearer(Role.HANDLER, department="C_HRSS")

    listed = await client.get(BASE, headers=other)
    read = await client.get(f"{BASE}/{case_no}", headers=other)
    accepted = await client.post(f"{BASE}/{case_no}/accept", headers=other)
    no_department = await client.get(BASE, headers=bearer(Role.HANDLER))
    supervisor = await client.get(BASE, headers=bearer(Role.SUPERVISOR))

    assert case_no not in [a["case_no"] for a in listed.json()]
    assert read.status_code == accepted.status_code == 404
    assert no_department.status_code == supervisor.status_code == 403


async def test_accepting_starts_the_sixty_day_clock_and_emits_assignment_accepted(
    client: httpx.AsyncClient,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
    outbox_of: Outbox,
) -> None:
    case_no = await urban_case(route, a_petition)

    response = await client.post(
        f"{BASE}/{case_no}/accept", headers=bearer(Role.HANDLER, department="C_URBAN")
    )
    again = await client.post(
        f"{BASE}/{case_no}/accept", headers=bearer(Role.HANDLER, department="C_URBAN")
    )

    assert (response.json()["status"], response.json()["answer_due_on"]) == (
        "accepted",
        "2026-05-06",  # 60 days end on 1 May, in the May Day holiday (1–5 May)
    )
    assert again.status_code == 409
    subject, data = (await outbox_of(case_no))[-1]
    assert subject == "xinfang.assignment.accepted.C_URBAN"
    assert data["accepted_at"] == "2026-03-02T01:30:00Z"


async def test_an_objection_counts_a_misroute_and_re_routes_avoiding_the_objecting_department(
    client: httpx.AsyncClient,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
    outbox_of: Outbox,
) -> None:
    case_no = await urban_case(route, a_petition, region_code="369901003", category_code="140201")
    housing = bearer(Role.HANDLER, department="D01_HOUSING")

    response = await client.post(
        f"{BASE}/{case_no}/object", json={"reason": "属于区政府职责"}, headers=housing
    )

    assert response.status_code == 200
    assert (response.json()["department_code"], response.json()["misroutes"]) == ("D01_GOV", 1)
    assert [s for s, _ in await outbox_of(case_no)] == [
        "xinfang.petition.routed.D01_HOUSING",
        "xinfang.assignment.objected.D01_HOUSING",
        "xinfang.petition.routed.D01_GOV",
    ]
    assert (await client.get(f"{BASE}/{case_no}", headers=housing)).status_code == 404


async def test_an_objection_after_five_working_days_is_refused_and_changes_nothing(
    client: httpx.AsyncClient,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
    clock: ManualClock,
    outbox_of: Outbox,
) -> None:
    case_no = await urban_case(route, a_petition)
    clock.advance(timedelta(days=8))  # Monday 2 March → Tuesday 10 March: 6 working days

    response = await client.post(
        f"{BASE}/{case_no}/object",
        json={"reason": "不属本单位"},
        headers=bearer(Role.HANDLER, department="C_URBAN"),
    )

    assert (response.status_code, response.json()["errors"][0]["code"]) == (
        422,
        "objection_too_late",
    )
    assert len(await outbox_of(case_no)) == 1


async def test_a_transfer_moves_the_case_to_the_new_department_with_its_event(
    client: httpx.AsyncClient,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
    outbox_of: Outbox,
) -> None:
    case_no = await urban_case(route, a_petition)
    urban = bearer(Role.HANDLER, department="C_URBAN")

    moved = await client.post(
        f"{BASE}/{case_no}/transfer",
        json={"department_code": "C_HOUSING", "reason": "涉及物业"},
        headers=urban,
    )
    unknown = await client.post(
        f"{BASE}/{case_no}/transfer",
        json={"department_code": "C_EDU", "reason": "再转"},
        headers=urban,
    )

    assert moved.json()["department_code"] == "C_HOUSING"
    subject, data = (await outbox_of(case_no))[-1]
    assert subject == "xinfang.assignment.transferred.C_HOUSING"
    assert (data["from_department"], data["reason"]) == ("C_URBAN", "涉及物业")
    assert unknown.status_code == 404  # C_URBAN no longer sees the case
    housing = await client.get(
        f"{BASE}/{case_no}", headers=bearer(Role.HANDLER, department="C_HOUSING")
    )
    assert housing.status_code == 200


async def test_an_extension_is_asked_once_for_at_most_thirty_days_and_approved_by_the_bureau(
    client: httpx.AsyncClient,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
    outbox_of: Outbox,
) -> None:
    case_no = await urban_case(route, a_petition)
    urban = bearer(Role.HANDLER, department="C_URBAN")
    await client.post(f"{BASE}/{case_no}/accept", headers=urban)

    too_long = await client.post(
        f"{BASE}/{case_no}/extension", json={"days": 31, "reason": "复杂"}, headers=urban
    )
    asked = await client.post(
        f"{BASE}/{case_no}/extension", json={"days": 30, "reason": "需鉴定"}, headers=urban
    )
    twice = await client.post(
        f"{BASE}/{case_no}/extension", json={"days": 5, "reason": "再延"}, headers=urban
    )
    by_handler = await client.post(
        f"/api/v1/extensions/{case_no}/decision",
        json={"approved": True, "reason": "同意"},
        headers=urban,
    )
    decided = await client.post(
        f"/api/v1/extensions/{case_no}/decision",
        json={"approved": True, "reason": "同意延期"},
        headers=bearer(Role.SUPERVISOR),
    )

    assert (too_long.status_code, too_long.json()["errors"][0]["field"]) == (422, "days")
    assert asked.json()["extension_status"] == "requested"
    assert twice.status_code == 409
    assert by_handler.status_code == 403
    assert (decided.json()["extension_status"], decided.json()["answer_due_on"]) == (
        "approved",
        "2026-06-05",  # 30 more days after the holiday-moved 6 May
    )
    events = await outbox_of(case_no)
    assert [s for s, _ in events[-2:]] == [
        "xinfang.assignment.extension_requested.C_URBAN",
        "xinfang.assignment.extension_decided.C_URBAN",
    ]
    assert (events[-1][1]["approved"], events[-1][1]["days"]) == (True, 30)


async def test_an_answer_is_the_handling_decision_with_its_legal_basis_and_review_route(
    client: httpx.AsyncClient,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
    outbox_of: Outbox,
) -> None:
    case_no = await urban_case(route, a_petition)
    urban = bearer(Role.HANDLER, department="C_URBAN")
    early = await client.post(f"{BASE}/{case_no}/answer", json=ANSWER, headers=urban)
    await client.post(f"{BASE}/{case_no}/accept", headers=urban)

    bad = await client.post(
        f"{BASE}/{case_no}/answer", json=ANSWER | {"outcome": "maybe"}, headers=urban
    )
    answered = await client.post(f"{BASE}/{case_no}/answer", json=ANSWER, headers=urban)

    assert early.status_code == 409
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "outcome")
    assert (answered.json()["status"], answered.json()["outcome"]) == ("answered", "supported")
    subject, data = (await outbox_of(case_no))[-1]
    assert subject == "xinfang.case.answered.C_URBAN"
    assert data["legal_basis"] == ANSWER["legal_basis"]
    assert data["review_body"] == "江宁市人民政府"
    assert "复查" in data["review_how"] and data["request"] == ANSWER["request"]


async def test_a_mediation_agreement_ends_the_handling_as_mediated(
    client: httpx.AsyncClient,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
    outbox_of: Outbox,
) -> None:
    case_no = await urban_case(route, a_petition)
    urban = bearer(Role.HANDLER, department="C_URBAN")
    await client.post(f"{BASE}/{case_no}/accept", headers=urban)

    response = await client.post(
        f"{BASE}/{case_no}/mediation", json={"agreement": "双方同意自行拆除"}, headers=urban
    )

    assert response.json()["outcome"] == "mediated"
    subject, data = (await outbox_of(case_no))[-1]
    assert (subject, data["outcome"], data["summary"]) == (
        "xinfang.case.answered.C_URBAN",
        "mediated",
        "双方同意自行拆除",
    )


async def test_an_assigned_case_carries_a_report_deadline_and_is_closed_by_its_completion_report(
    client: httpx.AsyncClient,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
    outbox_of: Outbox,
) -> None:
    assigned = await urban_case(route, a_petition, flags=PetitionFlags(urgent=True))
    forwarded = await urban_case(route, a_petition)
    urban = bearer(Role.HANDLER, department="C_URBAN")
    for case_no in (assigned, forwarded):
        await client.post(f"{BASE}/{case_no}/accept", headers=urban)
        await client.post(f"{BASE}/{case_no}/answer", json=ANSWER, headers=urban)

    report = await client.post(
        f"{BASE}/{assigned}/completion-report", json={"summary": "已拆除"}, headers=urban
    )
    not_needed = await client.post(
        f"{BASE}/{forwarded}/completion-report", json={"summary": "无需报告"}, headers=urban
    )

    assert (report.json()["mode"], report.json()["report_due_on"]) == ("assign", "2026-05-06")
    assert report.json()["status"] == "completed"
    assert not_needed.status_code == 409
    still_open = (await client.get(BASE, params={"open_only": True}, headers=urban)).json()
    assert assigned not in [a["case_no"] for a in still_open]
    routed = (await outbox_of(assigned))[0][1]
    assert (routed["mode"], routed["report_due_on"]) == ("assign", "2026-05-06")
    subject, data = (await outbox_of(assigned))[-1]
    assert (subject, data["summary"]) == (
        "xinfang.assignment.completion_reported.C_URBAN",
        "已拆除",
    )


async def test_a_confidential_accusation_shows_no_petitioner_at_all(
    client: httpx.AsyncClient,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
) -> None:
    case_no = await urban_case(
        route,
        a_petition,
        category_code="040100",
        matter_type="accusation",
        flags=PetitionFlags(confidential=True),
    )

    detail = await client.get(
        f"{BASE}/{case_no}", headers=bearer(Role.HANDLER, department="C_DISCIPLINE")
    )

    assert detail.status_code == 200
    assert (detail.json()["petitioners"], detail.json()["petitioners_hidden"]) == ([], True)
    assert "王*" not in detail.text


async def test_a_co_handler_reads_the_case_but_only_the_lead_acts_on_it(
    client: httpx.AsyncClient,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
) -> None:
    case_no = await urban_case(
        route, a_petition, category_code="170100", flags=PetitionFlags(court_related=True)
    )
    court = bearer(Role.HANDLER, department="C_COURT")

    listed = await client.get(BASE, headers=court)
    read = await client.get(f"{BASE}/{case_no}", headers=court)
    accepted = await client.post(f"{BASE}/{case_no}/accept", headers=court)

    assert case_no in [a["case_no"] for a in listed.json()]
    assert (read.json()["department_code"], read.json()["co_handlers"]) == (
        "C_POLITICS_LAW",
        ["C_COURT"],
    )
    assert (accepted.status_code, accepted.json()["errors"][0]["code"]) == (403, "not_lead")


async def test_an_objection_that_leaves_no_other_unit_sends_the_case_to_triage(
    client: httpx.AsyncClient,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
    outbox_of: Outbox,
) -> None:
    case_no = await urban_case(route, a_petition, category_code="040100", matter_type="accusation")

    response = await client.post(
        f"{BASE}/{case_no}/object",
        json={"reason": "被反映人不属本级管理"},
        headers=bearer(Role.HANDLER, department="C_DISCIPLINE"),
    )

    assert (response.json()["status"], response.json()["misroutes"]) == ("triage", 1)
    assert [s for s, _ in await outbox_of(case_no)] == [
        "xinfang.petition.routed.C_DISCIPLINE",
        "xinfang.assignment.objected.C_DISCIPLINE",
        "xinfang.petition.triaged",
    ]
