"""The dashboard in a real headless Chromium: sign in, see the overdue case, its order, the alert
and the KPI chart; filter by department; switch to English."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from xinfang.common.auth import Role
from xinfang.common.events import AssignmentAccepted
from xinfang.common.testing.builders import a_petition_received, a_petition_routed


async def test_a_supervisor_signs_in_and_sees_overdue_cases_orders_alerts_and_kpis(
    served: Any, browser: Any
) -> None:
    world, base_url = served
    case_no = world.case_no()
    await world.apply(a_petition_received(case_no=case_no, people_involved=8))
    await world.apply(a_petition_routed(case_no=case_no))
    await world.apply(
        AssignmentAccepted(
            case_no=case_no,
            department_code="C_HOUSING",
            accepted_at=datetime(2026, 3, 2, 2, tzinfo=UTC),
        )
    )
    world.on(2026, 5, 7)
    await world.tick()
    token = world.auth(Role.SUPERVISOR)["Authorization"].removeprefix("Bearer ")

    page = await browser.new_page()
    await page.goto(f"{base_url}/")
    assert page.url.endswith("/login?lang=zh")  # not signed in yet
    await page.get_by_label("访问令牌").fill(token)
    await page.get_by_role("button", name="登录").click()

    assert await page.locator("html").get_attribute("lang") == "zh-CN"
    await page.get_by_role("heading", name="督查督办工作台").wait_for()
    overdue = page.locator("section[aria-labelledby=h-overdue]")
    assert case_no in await overdue.inner_text()
    assert "C_HOUSING" in await page.locator("section[aria-labelledby=h-orders]").inner_text()
    assert "集体访：8人" in await page.locator("section[aria-labelledby=h-alerts]").inner_text()
    chart = page.get_by_role("img", name="考核指标（按单位）")
    assert "0.0%" in await chart.text_content()
    assert case_no in await page.locator("section[aria-labelledby=h-ledger]").inner_text()

    await page.get_by_label("责任单位").select_option("C_EDU")
    await page.get_by_role("button", name="查询").click()
    assert "department=C_EDU" in page.url
    assert case_no not in await page.locator("section[aria-labelledby=h-overdue]").inner_text()

    await page.get_by_role("link", name="English").click()
    assert await page.locator("html").get_attribute("lang") == "en"
    await page.get_by_role("heading", name="Supervision dashboard").wait_for()
