"""Early warnings: collective petitions at once, clusters, sensitive periods, zero-reports."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from xinfang.common.events import AlertRaised, PetitionFlags
from xinfang.common.testing.builders import a_petition_received
from xinfang.supervision.settings import SensitivePeriod


async def alerts(world: Any, kind: str) -> list[dict[str, Any]]:
    return [a for a in await world.emitted(None, AlertRaised.TYPE) if a["kind"] == kind]


async def test_a_collective_petition_alerts_at_once_by_flag_or_head_count(world: Any) -> None:
    flagged = a_petition_received(case_no=world.case_no(), flags=PetitionFlags(collective=True))
    crowd = a_petition_received(case_no=world.case_no(), people_involved=12)
    single = a_petition_received(case_no=world.case_no(), people_involved=2)
    for event in (flagged, crowd, single):
        await world.apply(event)

    raised = await alerts(world, "collective")
    assert {a["case_no"] for a in raised} == {flagged.case_no, crowd.case_no}
    assert any("12人" in a["summary"] for a in raised)


async def test_five_similar_petitions_in_a_week_make_one_cluster_alert(world: Any) -> None:
    for day in (2, 3, 4, 5):
        await world.apply(
            a_petition_received(
                case_no=world.case_no(), received_at=datetime(2026, 3, day, 2, tzinfo=UTC)
            )
        )
    await world.apply(a_petition_received(case_no=world.case_no(), category_code="070000"))
    assert await alerts(world, "cluster") == []

    for _ in range(2):
        await world.apply(
            a_petition_received(
                case_no=world.case_no(), received_at=datetime(2026, 3, 6, 2, tzinfo=UTC)
            )
        )

    [cluster] = await alerts(world, "cluster")
    assert (cluster["region_code"], cluster["category_code"]) == ("369901", "140000")


@pytest.fixture
async def sensitive(world_with: Any) -> Any:
    period = SensitivePeriod(
        name="两会",
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 3, 15),
        collective_threshold=3,
        cluster_threshold=2,
    )
    return await world_with(sensitive_periods=[period])


async def test_a_sensitive_period_tightens_the_thresholds_and_says_so(sensitive: Any) -> None:
    await sensitive.apply(a_petition_received(case_no=sensitive.case_no(), people_involved=3))
    await sensitive.apply(a_petition_received(case_no=sensitive.case_no()))

    [collective] = await alerts(sensitive, "collective")
    [cluster] = await alerts(sensitive, "cluster")
    assert collective["summary"].startswith("【敏感期：两会】")
    assert "2件" in cluster["summary"]


async def test_a_unit_without_its_zero_report_by_ten_is_alerted_once(world: Any, api: Any) -> None:
    units = world.sv.ctx.early.units
    assert "C_PETITION" in units and "D01_PETITION" in units
    world.on(2026, 3, 2, hour=8)
    filed = await api.post(
        "/api/v1/zero-reports",
        json={"unit_code": "C_PETITION"},
        headers=world.auth_handler("C_PETITION"),
    )
    twice = await api.post(
        "/api/v1/zero-reports",
        json={"unit_code": "C_PETITION"},
        headers=world.auth_handler("C_PETITION"),
    )
    other = await api.post(
        "/api/v1/zero-reports",
        json={"unit_code": "D01_PETITION"},
        headers=world.auth_handler("C_PETITION"),
    )
    await world.tick()
    assert await alerts(world, "zero_report") == []  # before ten o'clock

    world.on(2026, 3, 2, hour=10)
    await world.tick()
    await world.tick()

    assert (filed.status_code, twice.status_code, other.status_code) == (201, 409, 403)
    missing = {a["summary"].split("截至")[0] for a in await alerts(world, "zero_report")}
    assert missing == set(units) - {"C_PETITION"}
    listed = (await api.get("/api/v1/zero-reports", headers=world.auth_supervisor())).json()
    assert [r["unit_code"] for r in listed["reported"]] == ["C_PETITION"]
