"""Each KPI formula on six cases whose figures are worked out by hand (today 2026-06-30)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from xinfang.supervision import kpis
from xinfang.supervision.kpis import CaseFacts

R = date(2026, 3, 2)  # every case was received on Monday 2 March
TODAY = date(2026, 6, 30)


def a_case(name: str, **fields: object) -> CaseFacts:
    base: dict[str, object] = {
        "case_no": name,
        "department_code": "C_HOUSING",
        "region_code": "369901001",
        "channel": "web",
        "received_on": R,
        "routed": True,
    }
    return CaseFacts(**(base | fields))  # type: ignore[arg-type]


def days(n: int) -> date:
    return R + timedelta(days=n)


CASES = [
    # accepted on day 3, answered on day 23 (20 days), satisfied
    a_case(
        "A",
        notice_status="met",
        handling_status="met",
        accepted_on=days(3),
        answered_on=days(23),
        rating="satisfied",
    ),
    # accepted late (day 10), answered late (day 50), dissatisfied, asked for review, a repeat
    # petition, and first sent to a department that objected
    a_case(
        "B",
        notice_status="late",
        handling_status="late",
        accepted_on=days(10),
        answered_on=days(50),
        rating="dissatisfied",
        review_requests=1,
        repeat=True,
        objections=1,
        channel="visit",
    ),
    # never accepted, its notice clock overdue
    a_case("C", notice_status="overdue"),
    # accepted on day 1, handling still running
    a_case("D", notice_status="met", handling_status="open", accepted_on=days(1)),
    # accepted day 2, answered 1 May (day 60), never rated: the 30-day window closed 31 May
    a_case(
        "E",
        notice_status="met",
        handling_status="met",
        accepted_on=days(2),
        answered_on=date(2026, 5, 1),
        region_code="369902001",
    ),
    # registered only, not routed yet
    a_case("F", notice_status=None, routed=False, department_code=None),
]

EXPECTED = {
    "timely_acceptance": 0.6,  # A D E on time ÷ (3 + late B + overdue C)
    "on_time_completion": 0.5,  # A E ÷ (A E + late B + running D)
    "participation": 0.6667,  # rated A B ÷ (A B + E unrated past its window)
    "satisfaction": 0.5,  # guangdong: satisfied A ÷ rated A B
    "repeat": 0.1667,  # B ÷ six
    "first_time_resolution": 0.6667,  # A and E (no review, not dissatisfied) ÷ answered A B E
    "avg_days_to_acceptance": 4.0,  # (3 + 10 + 1 + 2) ÷ 4
    "avg_days_to_answer": 39.33,  # (A 20 + B 40 + E 58) ÷ 3
    "misroute": 0.2,  # B ÷ five routed
}


def test_each_kpi_matches_the_figure_worked_out_by_hand() -> None:
    assert kpis.compute(CASES, today=TODAY) == EXPECTED


def test_the_ssy_satisfaction_formula_counts_an_unrated_lapsed_case_as_satisfied() -> None:
    result = kpis.compute(CASES, today=TODAY, formula="ssy")
    assert result["satisfaction"] == 0.6667  # (A + lapsed E) ÷ (A B + E)


def test_a_kpi_with_nothing_to_assess_is_none() -> None:
    result = kpis.compute([a_case("F", routed=False)], today=TODAY)
    assert result["timely_acceptance"] is None and result["misroute"] is None


@pytest.mark.parametrize(
    ("group_by", "keys"),
    [
        ("department", ["C_HOUSING"]),
        ("district", ["369901", "369902"]),
        ("street", ["369901001", "369902001"]),
        ("channel", ["visit", "web"]),
        ("month", ["2026-03"]),
    ],
)
def test_kpis_are_sliced_by_department_region_level_channel_and_month(
    group_by: kpis.GroupBy, keys: list[str]
) -> None:
    assert list(kpis.by_group(CASES, group_by=group_by, today=TODAY)) == keys


def test_the_channel_slice_computes_each_group_on_its_own_cases() -> None:
    groups = kpis.by_group(CASES, group_by="channel", today=TODAY)
    assert groups["visit"]["repeat"] == 1.0 and groups["web"]["repeat"] == 0.0
