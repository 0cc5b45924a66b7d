"""The notices' wording: formal Chinese, every fact the petitioner needs, dates in China time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from xinfang.notify import domain, templates

ROUTED_AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def registration_fields(**overrides: Any) -> dict[str, str]:
    facts = domain.registration_facts(
        department_code="320115-ZJJ",
        department_name="江宁区住房和城乡建设局",
        mode=overrides.pop("mode", "forward"),
        routed_at=overrides.pop("routed_at", ROUTED_AT),
    )
    fields: dict[str, Any] = {
        "notice_type": "registration",
        "facts": facts,
        "case_no": "XF20261122000001",
        "title": "小区门口道路长期积水",
        "received_at": datetime(2026, 11, 22, 1, 30, tzinfo=UTC),
        "name": "张三丰",
        "query_code": "QRSTUV2345",
        "authority": "江宁市信访局",
        "portal_url": "http://127.0.0.1:8001/",
        "today": datetime(2026, 11, 23, 3, 0, tzinfo=UTC),
    }
    return domain.notice_fields(**(fields | overrides))


def test_the_registration_subject_is_the_bureau_s_formal_title_with_the_case_number() -> None:
    rendered = templates.render("registration.v1", registration_fields())

    assert rendered.subject == "【江宁市信访局】信访事项登记告知（XF20261122000001）"


def test_the_registration_notice_tells_the_petitioner_everything_needed_to_follow_the_case() -> (
    None
):
    body = templates.render("registration.v1", registration_fields()).body

    assert body.startswith("张三丰：\n")
    for fact in (
        "2026年11月22日",
        "“小区门口道路长期积水”",
        "XF20261122000001",
        "2026年11月23日转送江宁区住房和城乡建设局办理",
        "查询码：QRSTUV2345",
        "http://127.0.0.1:8001/",
        "《信访工作条例》第二十二条",
    ):
        assert fact in body
    assert body.rstrip().endswith("江宁市信访局\n2026年11月23日")


def test_dates_are_those_of_china_not_utc() -> None:
    late_evening_utc = datetime(2026, 11, 21, 16, 30, tzinfo=UTC)  # 00:30 on the 22nd in China

    body = templates.render(
        "registration.v1", registration_fields(received_at=late_evening_utc)
    ).body

    assert "您于2026年11月22日提出" in body


def test_an_assigned_case_is_said_to_be_assigned_not_forwarded() -> None:
    body = templates.render("registration.v1", registration_fields(mode="assign")).body

    assert "交办江宁区住房和城乡建设局办理" in body
    assert "转送江宁区" not in body


def test_braces_in_a_title_are_printed_as_written() -> None:
    body = templates.render("registration.v1", registration_fields(title="关于{噪声}的投诉")).body

    assert "“关于{噪声}的投诉”" in body


@pytest.mark.parametrize("template_id", sorted(templates.TEMPLATES))
def test_every_template_renders_with_the_fields_of_its_notice_type(template_id: str) -> None:
    notice_type = template_id.rsplit(".", 1)[0]
    assert notice_type in domain.FIELDS_FROM_FACTS

    rendered = templates.render(template_id, registration_fields(notice_type=notice_type))

    assert "{" not in rendered.subject


def test_each_notice_type_is_created_with_a_template_that_exists() -> None:
    assert set(templates.LATEST.values()) <= set(templates.TEMPLATES)


def test_a_field_the_template_needs_but_does_not_get_is_an_error_not_a_blank() -> None:
    fields = registration_fields()
    del fields["query_code"]

    with pytest.raises(KeyError):
        templates.render("registration.v1", fields)
