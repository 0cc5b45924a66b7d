"""The notices' wording: formal Chinese (English on request), every fact the reader needs, dates
in China time, and each one signed with its delivery method, authority and date."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from xinfang.common.events import (
    AlertRaised,
    AssignmentAccepted,
    CaseAnswered,
    DeadlineMissed,
    DeadlineWarned,
    ExtensionDecided,
    PetitionRefused,
    PetitionRouted,
    SupervisionEscalated,
    SupervisionOrderIssued,
)
from xinfang.notify import templates
from xinfang.notify.plans import plans_for

ROUTED_AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
CASE = "XF20261122000001"


def routed(**overrides: Any) -> PetitionRouted:
    fields: dict[str, Any] = {
        "case_no": CASE,
        "department_code": "320115-ZJJ",
        "department_name": "江宁区住房和城乡建设局",
        "mode": "forward",
        "rule": "category:110100",
        "reason": "城市道路积水属住房和城乡建设部门职责",
        "routed_at": ROUTED_AT,
    }
    return PetitionRouted(**(fields | overrides))


def fields_of(event: Any, notice_type: str, **overrides: str) -> dict[str, str]:
    """The fields compose would give the template: the case's, the recipient's and the facts."""
    [plan] = [p for p in plans_for(event) if p.notice_type == notice_type][:1]
    base = {
        "case_no": CASE,
        "title": "小区门口道路长期积水",
        "received_date": datetime(2026, 11, 22, 1, 30, tzinfo=UTC).isoformat(),
        "name": "张三丰",
        "query_code": "QRSTUV2345",
        "authority": "江宁市信访局",
        "portal_url": "http://127.0.0.1:8001/",
        "date": datetime(2026, 11, 23, 3, 0, tzinfo=UTC).isoformat(),
        "channel": "email",
        "department_name": "江宁区住房和城乡建设局",
        "petitioners_zh": "张*丰",
        "petitioners_en": "张*丰",
    }
    return base | plan.facts | overrides


def registration(**overrides: Any) -> templates.Rendered:
    fields = fields_of(routed(**overrides), "registration")
    return templates.render("registration.v1", fields)


def test_the_registration_subject_is_the_bureau_s_formal_title_with_the_case_number() -> None:
    assert registration().subject == "【江宁市信访局】信访事项登记告知（XF20261122000001）"


def test_the_registration_notice_tells_the_petitioner_everything_needed_to_follow_the_case() -> (
    None
):
    body = registration().body

    assert body.startswith("张三丰：\n")
    for fact in (
        "2026年11月22日",
        "“小区门口道路长期积水”",
        "XF20261122000001",
        "2026年11月23日转送江宁区住房和城乡建设局办理",
        "查询码：QRSTUV2345",
        "http://127.0.0.1:8001/",
        "《信访工作条例》第二十二条",
        "送达方式：电子邮件",
    ):
        assert fact in body
    assert body.rstrip().endswith("江宁市信访局\n2026年11月23日")


def test_dates_are_those_of_china_not_utc() -> None:
    late_evening_utc = datetime(2026, 11, 21, 16, 30, tzinfo=UTC)  # 00:30 on the 22nd in China
    fields = fields_of(routed(), "registration", received_date=late_evening_utc.isoformat())

    assert "您于2026年11月22日提出" in templates.render("registration.v1", fields).body


def test_an_assigned_case_is_said_to_be_assigned_not_forwarded() -> None:
    body = registration(mode="assign").body

    assert "交办江宁区住房和城乡建设局办理" in body
    assert "转送江宁区" not in body


def test_braces_in_a_title_are_printed_as_written() -> None:
    fields = fields_of(routed(), "registration", title="关于{噪声}的投诉")

    assert "“关于{噪声}的投诉”" in templates.render("registration.v1", fields).body


def test_the_delivery_method_follows_the_channel_the_notice_went_by() -> None:
    fields = fields_of(routed(), "registration", channel="letter")

    assert "送达方式：邮寄送达" in templates.render("registration.v1", fields).body


def test_the_english_variant_says_the_same_in_english_with_english_dates() -> None:
    rendered = templates.render("registration.v1", fields_of(routed(), "registration"), locale="en")

    assert rendered.subject == "[江宁市信访局] Your petition XF20261122000001 has been registered"
    assert "forwarded to 江宁区住房和城乡建设局 on 23 November 2026" in rendered.body
    assert "Delivered by: e-mail" in rendered.body
    assert "转送" not in rendered.body


ANSWERED = {
    "case_no": CASE,
    "department_code": "320115-ZJJ",
    "outcome": "not_supported",
    "summary": "经现场核查，积水系临时施工所致，现已疏通",
    "legal_basis": "《城镇排水与污水处理条例》",
    "answered_at": datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
}


def render_of(event: Any, notice_type: str, **overrides: str) -> templates.Rendered:
    return templates.render(f"{notice_type}.v1", fields_of(event, notice_type, **overrides))


def test_the_handling_decision_says_how_and_by_when_to_ask_for_review() -> None:
    body = render_of(CaseAnswered(**ANSWERED), "decision").body

    assert "信访处理意见书" in render_of(CaseAnswered(**ANSWERED), "decision").subject
    for fact in ("处理结果：不予支持", "积水系临时施工所致", "《城镇排水与污水处理条例》"):
        assert fact in body
    assert "三十日内（即2026年12月31日前）" in body
    assert "书面请求原办理机关的上一级行政机关复查" in body


def test_a_review_decision_points_to_re_review_and_a_re_review_decision_is_final() -> None:
    review = CaseAnswered(**ANSWERED | {"stage": "review", "review_body": "江宁市人民政府"})
    re_review = CaseAnswered(**ANSWERED | {"stage": "re_review"})

    assert "书面请求江宁市人民政府复核" in render_of(review, "review_decision").body
    assert "不再受理" in render_of(re_review, "re_review_decision").body


def test_the_rating_invitation_carries_the_query_code() -> None:
    body = render_of(CaseAnswered(**ANSWERED), "rating_invitation").body

    assert "查询码：QRSTUV2345" in body and "满意、基本满意、不满意" in body


def test_refusals_give_their_reason_and_basis() -> None:
    refused = PetitionRefused(
        case_no=CASE,
        kind="not_reaccepted",
        reason="同一事实和理由已经复核终结",
        basis="《信访工作条例》第三十五条",
        related_case="XF20250101000009",
        refused_at=ROUTED_AT,
    )
    rendered = render_of(refused, "not_reaccepted")

    assert "不再受理告知书" in rendered.subject
    for fact in ("XF20250101000009", "理由：同一事实和理由已经复核终结", "第三十五条"):
        assert fact in rendered.body


def test_the_extension_notice_gives_the_days_and_the_reason() -> None:
    extension = ExtensionDecided(
        case_no=CASE,
        department_code="320115-ZJJ",
        approved=True,
        days=30,
        reason="需要组织多部门联合核查",
        decided_at=ROUTED_AT,
    )
    body = render_of(extension, "extension").body

    assert "因需要组织多部门联合核查" in body and "延长30日" in body


def test_a_refused_extension_makes_no_notice() -> None:
    refused = ExtensionDecided(
        case_no=CASE,
        department_code="320115-ZJJ",
        approved=False,
        days=30,
        reason="x",
        decided_at=ROUTED_AT,
    )

    assert plans_for(refused) == []


STEPS: list[tuple[Any, str]] = [
    (routed(), "registration"),
    (routed(), "new_assignment"),
    (AssignmentAccepted(case_no=CASE, department_code="D", accepted_at=ROUTED_AT), "acceptance"),
    (CaseAnswered(**ANSWERED), "decision"),
    (CaseAnswered(**ANSWERED), "rating_invitation"),
    (CaseAnswered(**ANSWERED | {"stage": "review"}), "review_decision"),
    (CaseAnswered(**ANSWERED | {"stage": "re_review"}), "re_review_decision"),
    (
        ExtensionDecided(
            case_no=CASE,
            department_code="D",
            approved=True,
            days=10,
            reason="r",
            decided_at=ROUTED_AT,
        ),
        "extension",
    ),
    *[
        (
            PetitionRefused(case_no=CASE, kind=kind, reason="r", basis="b", refused_at=ROUTED_AT),
            kind,
        )
        for kind in ("not_accepted", "not_reaccepted", "redirected")
    ],
    (
        SupervisionOrderIssued(
            case_no=CASE,
            order_id="DB-1",
            department_code="D",
            reason="逾期未受理",
            feedback_due_on=ROUTED_AT.date(),
        ),
        "supervision_order",
    ),
    (
        SupervisionEscalated(
            case_no=CASE, order_id="DB-1", step="public_notice", department_code="D"
        ),
        "escalation",
    ),
    (
        AlertRaised(
            alert_id="A-1",
            kind="collective",
            summary="20人以上联名反映拆迁补偿",
            raised_at=ROUTED_AT,
        ),
        "alert",
    ),
    (
        DeadlineWarned(
            case_no=CASE,
            kind="handling",
            due_on=ROUTED_AT.date(),
            level="eighty",
            department_code="D",
        ),
        "deadline_warning",
    ),
    (
        DeadlineMissed(
            case_no=CASE, kind="acceptance_notice", due_on=ROUTED_AT.date(), department_code="D"
        ),
        "deadline_missed",
    ),
]


def test_a_department_is_warned_of_its_own_deadlines_once_per_level() -> None:
    warned = DeadlineWarned(
        case_no=CASE,
        kind="handling",
        due_on=ROUTED_AT.date(),
        level="day_before",
        department_code="D",
    )
    [plan] = plans_for(warned)
    body = render_of(warned, "deadline_warning").body

    assert (plan.audience, plan.refs) == ("department", ["D"])
    assert plan.step.endswith(":day_before")
    assert "办理期限将于2026年11月23日届满（明日到期）" in body
    assert (
        plans_for(
            DeadlineWarned(
                case_no=CASE, kind="review_request", due_on=ROUTED_AT.date(), level="half"
            )
        )
        == []
    )


def test_a_missed_deadline_tells_the_department_its_case_is_overdue() -> None:
    missed = DeadlineMissed(
        case_no=CASE, kind="acceptance_notice", due_on=ROUTED_AT.date(), department_code="D"
    )
    body = render_of(missed, "deadline_missed").body
    assert "受理告知期限已于2026年11月23日届满" in body
    assert "已列入超期件" in body


@pytest.mark.parametrize("locale", ["zh", "en"])
@pytest.mark.parametrize(("event", "notice_type"), STEPS, ids=[t for _, t in STEPS])
def test_every_notice_renders_in_both_languages_with_no_field_left_open(
    event: Any, notice_type: str, locale: str
) -> None:
    fields = fields_of(event, notice_type)

    rendered = templates.render(templates.LATEST[notice_type], fields, locale=locale)

    for text in (rendered.subject, rendered.body, rendered.sms):
        assert "{" not in text and "}" not in text
    assert rendered.body.rstrip().endswith(
        "2026年11月23日" if locale == "zh" else "23 November 2026"
    )


def test_every_template_is_reachable_from_some_step() -> None:
    assert set(templates.LATEST) == {notice_type for _, notice_type in STEPS}


def test_a_field_the_template_needs_but_does_not_get_is_an_error_not_a_blank() -> None:
    fields = fields_of(routed(), "registration")
    del fields["query_code"]

    with pytest.raises(KeyError):
        templates.render("registration.v1", fields)


def test_a_collective_petition_alert_says_so_in_its_subject() -> None:
    alert = AlertRaised(
        alert_id="A-1", kind="collective", summary="20人以上联名", raised_at=ROUTED_AT, case_no=CASE
    )
    rendered = render_of(alert, "alert", name="王副市长")

    assert rendered.subject == "【江宁市信访局】信访预警：群体性信访"
    assert "（信访件编号XF20261122000001）" in rendered.body
