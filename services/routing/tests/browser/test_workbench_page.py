"""The workbench page in a real Chromium: a handler signs in, accepts a case, then answers it,
without JavaScript being needed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from xinfang.common.auth import Role, issue_token
from xinfang.common.clock import ManualClock
from xinfang.common.events import Envelope, PetitionReceived
from xinfang.common.testing.live import serving
from xinfang.routing import repository
from xinfang.routing.bootstrap import Routing
from xinfang.routing.handlers.placing import on_petition_received
from xinfang.routing.main import create_app
from xinfang.routing.settings import RoutingSettings


async def test_a_handler_accepts_then_answers_a_case_in_the_workbench_page(
    browser: Any,
    settings: RoutingSettings,
    clock: ManualClock,
    a_petition: Callable[..., PetitionReceived],
    envelope_of: Callable[..., Envelope],
) -> None:
    app = create_app(settings, clock=clock)
    routing: Routing = app.state.routing
    petition = a_petition()
    token = issue_token(
        secret=settings.jwt_secret,
        sub="handler-li",
        roles=[Role.HANDLER],
        department="C_URBAN",
        now=datetime.now(UTC),
    )
    async with serving(app) as base_url:
        async with routing.db.transaction() as session:
            await on_petition_received(session, petition, envelope_of(petition), routing=routing)
        page = await (await browser.new_context(java_script_enabled=False)).new_page()

        await page.goto(f"{base_url}/signin")
        await page.get_by_label("访问令牌").fill(token)
        await page.get_by_role("button", name="登录").click()
        await page.get_by_role("link", name=petition.case_no).click()
        assert "由江宁市城市管理局主管" in await page.content()
        assert "王*" in await page.content()
        await page.get_by_role("button", name="受理").click()
        assert await page.locator("#status").inner_text() == "accepted"

        await page.get_by_label("信访请求").fill("请求拆除违章棚屋")
        await page.get_by_label("事实与理由").fill("经核查属违法建设，已责令拆除。")
        await page.get_by_label("处理意见").select_option("supported")
        await page.get_by_label("法律政策依据").fill("《中华人民共和国城乡规划法》第六十四条")
        await page.get_by_role("button", name="出具处理意见").click()

        assert await page.locator("#status").inner_text() == "answered"
        assert await page.get_attribute("html", "lang") == "zh-CN"
        async with routing.db.reading() as session:
            row = await repository.get_assignment(session, case_no=petition.case_no)
        assert row is not None and (row.status, row.outcome) == ("answered", "supported")
