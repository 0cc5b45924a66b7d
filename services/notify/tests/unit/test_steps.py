"""Each step of a case makes the notices the law and the bureau's practice call for: to the
petitioners (and in the portal), to the departments, to the leaders, once each."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from xinfang.common.events import (
    AlertRaised,
    AssignmentAccepted,
    CaseAnswered,
    ExtensionDecided,
    NoticeDelivered,
    PetitionFlags,
    PetitionRefused,
    SupervisionEscalated,
    SupervisionOrderIssued,
)
from xinfang.notify import repository
from xinfang.notify.bootstrap import bootstrap
from xinfang.notify.domain import CaseNotReceived

AT = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


async def made(notify, case_no: str) -> list[tuple[str, str, str, str]]:
    """(notice type, audience, channel, recipient ref) of every notice of the case."""
    async with notify.db.reading() as session:
        notices = await repository.notices_of_case(session, case_no=case_no)
    return sorted((n.notice_type, n.audience, n.channel, n.recipient_ref) for n in notices)


async def a_received_case(apply, petitions, **overrides) -> str:
    case_no = petitions.case_no()
    await apply(petitions.received(case_no, **overrides))
    return case_no


async def test_a_case_routed_to_a_known_department_tells_the_department_by_its_channel(
    notify, apply, petitions
) -> None:
    case_no = await a_received_case(apply, petitions)

    await apply(petitions.routed(case_no, department_code="D-HOOK", co_handlers=["D-MAIL"]))

    assert await made(notify, case_no) == [
        ("new_assignment", "department", "email", "D-MAIL"),
        ("new_assignment", "department", "webhook", "D-HOOK"),
        ("registration", "petitioner", "email", ""),
        ("registration", "portal", "portal", ""),
    ]


async def test_acceptance_makes_the_acceptance_notice_and_its_portal_copy(
    notify, apply, petitions, outbox
) -> None:
    case_no = await a_received_case(apply, petitions)

    await apply(AssignmentAccepted(case_no=case_no, department_code="D-MAIL", accepted_at=AT))

    assert await made(notify, case_no) == [
        ("acceptance", "petitioner", "email", ""),
        ("acceptance", "portal", "portal", ""),
    ]
    [row] = await outbox(NoticeDelivered.TYPE)
    portal = json.loads(row.payload)["data"]
    assert (portal["channel"], portal["notice_type"]) == ("portal", "acceptance")
    sample = notify.metrics.registry.get_sample_value
    assert (
        sample("xinfang_notify_deliveries_total", {"channel": "portal", "result": "delivered"}) == 1
    )


@pytest.mark.parametrize("kind", ["not_accepted", "not_reaccepted", "redirected"])
async def test_a_refusal_makes_the_refusal_notice_of_its_kind(
    notify, apply, petitions, kind
) -> None:
    case_no = await a_received_case(apply, petitions)

    await apply(PetitionRefused(case_no=case_no, kind=kind, reason="r", basis="b", refused_at=AT))

    assert (kind, "petitioner", "email", "") in await made(notify, case_no)


async def test_an_approved_extension_is_told_and_a_refused_one_is_not(
    notify, apply, petitions
) -> None:
    case_no = await a_received_case(apply, petitions)
    decided = {"case_no": case_no, "department_code": "D-MAIL", "days": 30, "reason": "复杂"}

    await apply(ExtensionDecided(**decided, approved=False, decided_at=AT))
    assert await made(notify, case_no) == []
    await apply(ExtensionDecided(**decided, approved=True, decided_at=AT))

    assert ("extension", "petitioner", "email", "") in await made(notify, case_no)


async def test_an_answer_makes_the_decision_and_an_invitation_to_rate(
    notify, apply, petitions
) -> None:
    case_no = await a_received_case(apply, petitions)
    answered = CaseAnswered(
        case_no=case_no,
        department_code="D-MAIL",
        outcome="supported",
        summary="s",
        legal_basis="b",
        answered_at=AT,
    )

    await apply(answered)
    await apply(answered)  # redelivered

    types = [(t, a) for t, a, _, _ in await made(notify, case_no)]
    assert types == [
        ("decision", "petitioner"),
        ("decision", "portal"),
        ("rating_invitation", "petitioner"),
        ("rating_invitation", "portal"),
    ]


async def test_a_review_decision_is_a_new_step_after_the_handling_decision(
    notify, apply, petitions
) -> None:
    case_no = await a_received_case(apply, petitions)
    answer = {
        "case_no": case_no,
        "department_code": "D-MAIL",
        "outcome": "supported",
        "summary": "s",
        "legal_basis": "b",
        "answered_at": AT,
    }

    await apply(CaseAnswered(**answer))
    await apply(CaseAnswered(**answer, stage="review"))

    petitioner = [t for t, a, _, _ in await made(notify, case_no) if a == "petitioner"]
    assert petitioner.count("decision") == petitioner.count("review_decision") == 1


async def test_supervision_orders_and_escalations_go_to_the_department(
    notify, apply, petitions
) -> None:
    case_no = await a_received_case(apply, petitions)

    await apply(
        SupervisionOrderIssued(
            case_no=case_no,
            order_id="DB-7",
            department_code="D-MAIL",
            reason="逾期",
            feedback_due_on=date(2026, 12, 1),
        )
    )
    await apply(
        SupervisionEscalated(
            case_no=case_no, order_id="DB-7", step="responsible_leader", department_code="D-MAIL"
        )
    )

    assert await made(notify, case_no) == [
        ("escalation", "department", "email", "D-MAIL"),
        ("escalation", "leader", "email", "L2"),
        ("escalation", "leader", "sms", "L1"),
        ("supervision_order", "department", "email", "D-MAIL"),
    ]


async def test_an_early_warning_reaches_every_leader_even_without_a_case(notify, apply) -> None:
    await apply(AlertRaised(alert_id="A-9", kind="collective", summary="联名信访", raised_at=AT))

    assert await made(notify, "") == [
        ("alert", "leader", "email", "L2"),
        ("alert", "leader", "sms", "L1"),
    ]


async def test_an_alert_about_a_case_is_told_once_before_and_after_notify_has_the_case(
    notify, apply, petitions
) -> None:
    case_no = petitions.case_no()
    alert = AlertRaised(
        alert_id="A-10", kind="collective", summary="联名信访", raised_at=AT, case_no=case_no
    )

    await apply(alert)
    await apply(alert)  # again, under a new event id: the case is still unknown
    await apply(petitions.received(case_no))
    await apply(alert)  # and once the case is known

    assert await made(notify, case_no) == [
        ("alert", "leader", "email", "L2"),
        ("alert", "leader", "sms", "L1"),
    ]


async def test_a_department_missing_from_the_directory_gets_no_notice_and_the_rest_go_on(
    notify, apply, petitions
) -> None:
    case_no = await a_received_case(apply, petitions)

    await apply(petitions.routed(case_no, department_code="NOWHERE"))

    assert [a for _, a, _, _ in await made(notify, case_no)] == ["petitioner", "portal"]


async def test_a_step_of_a_case_notify_has_not_seen_is_left_for_a_retry(notify, apply) -> None:
    with pytest.raises(CaseNotReceived):
        await apply(
            AssignmentAccepted(case_no="XF20260000000001", department_code="D", accepted_at=AT)
        )


@pytest.mark.parametrize(
    "overrides",
    [
        {"flags": PetitionFlags(confidential=True)},
        {"matter_type": "accusation"},
    ],
    ids=["confidential", "accusation"],
)
async def test_a_department_is_never_told_who_the_confidential_accuser_is(
    notify, apply, petitions, fakes, overrides
) -> None:
    case_no = await a_received_case(apply, petitions, **overrides)
    await apply(petitions.routed(case_no, department_code="D-MAIL"))

    await notify.dispatcher.run_once()

    [to_department] = [m for m in fakes["email"].sent if m.audience == "department"]
    assert "信访人：依法保密" in to_department.body
    assert "张" not in to_department.body and "丰" not in to_department.body
    assert "zhang" not in to_department.body.lower()


async def test_an_ordinary_case_names_the_petitioner_to_the_department_only_masked(
    notify, apply, petitions, fakes, outbox
) -> None:
    case_no = await a_received_case(apply, petitions)
    await apply(petitions.routed(case_no, department_code="D-MAIL"))

    await notify.dispatcher.run_once()

    [to_department] = [m for m in fakes["email"].sent if m.audience == "department"]
    assert to_department.recipient == "swj@gov.example"
    events = [json.loads(row.payload)["data"] for row in await outbox(NoticeDelivered.TYPE)]
    assert {(e["audience"], e["recipient_masked"]) for e in events} == {
        ("department", "D-MAIL"),
        ("petitioner", "z***@example.cn"),
        ("portal", "portal"),
    }
    assert "信访人：张*丰" in to_department.body and "张三丰" not in to_department.body
    assert to_department.body.startswith("江宁区水务局：")


async def test_the_directory_is_replaced_by_a_file_named_in_the_settings(
    settings, tmp_path, clock, fakes, petitions
) -> None:
    path = tmp_path / "recipients.json"
    directory = {"departments": {"X1": {"name": "某局", "sms": "13700000000"}}, "leaders": []}
    path.write_text(json.dumps(directory, ensure_ascii=False), encoding="utf-8")

    notify = bootstrap(
        settings.model_copy(update={"recipients_file": str(path)}), clock=clock, channels=fakes
    )

    assert notify.directory.department("X1").available() == ["sms"]
    assert notify.directory.leaders == []


def test_the_shipped_directory_reaches_every_department_by_its_preferred_channel() -> None:
    from xinfang.notify.directory import load_directory

    directory = load_directory()

    assert len(directory.departments) >= 30 and directory.leaders
    for endpoint in [*directory.departments.values(), *directory.leaders]:
        assert endpoint.channel in endpoint.available(), endpoint.ref
