"""Ledgers, the bulletin and the KPI API over a real database: the files open and hold the rows."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

from openpyxl import load_workbook
from pypdf import PdfReader

from xinfang.common.events import AssignmentAccepted, PetitionEvaluated
from xinfang.common.testing.builders import a_petition_received, a_petition_routed


async def an_overdue_case(world: Any, api: Any) -> str:
    """Accepted 2 March; handling due 6 May; on 7 May it is overdue with an order issued."""
    case_no = world.case_no()
    await world.apply(a_petition_received(case_no=case_no))
    await world.apply(a_petition_routed(case_no=case_no))
    await world.apply(
        AssignmentAccepted(
            case_no=case_no,
            department_code="C_HOUSING",
            accepted_at=datetime(2026, 3, 2, 2, tzinfo=UTC),
        )
    )
    await api.put(
        f"/api/v1/cases/{case_no}/leader",
        json={"leader": "李局长", "plan": "约谈"},
        headers=world.auth_supervisor(),
    )
    world.on(2026, 5, 7)
    await world.tick()
    return case_no


async def test_the_backlog_ledger_downloads_as_xlsx_with_the_leader_and_plan(
    world: Any, api: Any
) -> None:
    case_no = await an_overdue_case(world, api)

    response = await api.get("/ledgers/backlog.xlsx", headers=world.auth_supervisor())

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert sheet.title == "积案台账"
    assert rows[0][:2] == ["信访件编号", "标题"]
    [row] = rows[1:]
    assert row[0] == case_no and row[5] == "办理" and row[7] == 1
    assert (row[8], row[9]) == ("李局长", "约谈")


async def test_the_order_register_downloads_as_csv(world: Any, api: Any) -> None:
    case_no = await an_overdue_case(world, api)

    response = await api.get("/ledgers/orders.csv", headers=world.auth_supervisor())

    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "督办单号"
    assert [(r[1], r[2], r[3], r[6]) for r in rows[1:]] == [
        (case_no, "督办单", "C_HOUSING", "2026-05-22")
    ]


async def test_a_ledger_download_needs_a_bureau_reader(world: Any, api: Any) -> None:
    anonymous = await api.get("/ledgers/backlog.xlsx")
    handler = await api.get("/ledgers/backlog.xlsx", headers=world.auth_handler("C_HOUSING"))
    unknown = await api.get("/ledgers/secret.xlsx", headers=world.auth_supervisor())
    assert (anonymous.status_code, handler.status_code, unknown.status_code) == (401, 403, 404)


async def test_the_bulletin_pdf_opens_and_holds_the_figures(world: Any, api: Any) -> None:
    await an_overdue_case(world, api)

    response = await api.get(
        "/bulletin.pdf",
        params={"from": "2026-03-01", "to": "2026-05-31"},
        headers=world.auth_supervisor(),
    )

    assert response.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "信访工作通报（2026-03-01至2026-05-31）" in text
    assert "本期登记信访件1件" in text and "下发督办单1件" in text
    assert "C_HOUSING" in text and "按期办结率" in text


async def test_the_kpi_api_and_the_gauges_report_each_department(world: Any, api: Any) -> None:
    case_no = await an_overdue_case(world, api)
    await world.apply(
        PetitionEvaluated(
            case_no=case_no, rating="satisfied", evaluated_at=datetime(2026, 5, 8, tzinfo=UTC)
        )
    )

    by_department = (await api.get("/api/v1/kpis", headers=world.auth_supervisor())).json()
    by_channel = await api.get(
        "/api/v1/kpis", params={"group_by": "channel"}, headers=world.auth_supervisor()
    )
    bad = await api.get(
        "/api/v1/kpis", params={"group_by": "weather"}, headers=world.auth_supervisor()
    )
    metrics = (await api.get("/metrics")).text

    housing = by_department["groups"]["C_HOUSING"]
    assert housing["timely_acceptance"] == 1.0 and housing["on_time_completion"] == 0.0
    assert by_department["names_zh"]["timely_acceptance"] == "及时受理率"
    assert list(by_channel.json()["groups"]) == ["web"]
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "group_by"
    assert 'xinfang_supervision_kpi_ratio{department="C_HOUSING",kpi="timely_acceptance"} 1.0' in (
        metrics
    )
    assert "xinfang_supervision_timers_due_deadlines" in metrics
