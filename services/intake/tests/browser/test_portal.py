"""The petitioner portal in a real headless Chromium: submit with an attachment, track, rate."""

import json
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from xinfang.common.events import CaseAnswered
from xinfang.common.messaging.tables import OutboxEvent
from xinfang.common.testing.builders import envelope_of
from xinfang.common.testing.live import serving
from xinfang.intake.handlers.case_view import on_answered
from xinfang.intake.main import create_app
from xinfang.intake.settings import IntakeSettings

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
async def portal(database_url, tmp_path):
    settings = IntakeSettings(
        database_url=database_url,
        environment="test",
        start_background=False,
        attachments_dir=tmp_path / "attachments",
    )
    app = create_app(settings)
    async with serving(app) as url:
        yield app, url


async def _submit(page, url, tmp_path) -> tuple[str, str]:
    await page.goto(url)
    assert await page.get_attribute("html", "lang") == "zh-CN"
    await page.get_by_label("姓名或单位名称").fill("王小明")
    await page.get_by_label("手机号码").fill("13912345678")
    await page.get_by_label("住址").fill("新港区港城街道8号")
    await page.get_by_label("问题发生地").select_option("369902")
    await page.get_by_label("问题类别").select_option("060000")
    await page.get_by_label("标题").fill("拖欠工资问题")
    await page.get_by_label("事实经过").fill("某公司拖欠三个月工资未发放。")
    await page.get_by_label("诉求").fill("请求督促支付工资。")
    await page.get_by_label("理由", exact=True).fill("劳动者有权按时获得劳动报酬。")
    evidence = tmp_path / "工资条.png"
    evidence.write_bytes(PNG)
    await page.get_by_label("附件", exact=False).set_input_files(str(evidence))
    await page.get_by_role("button", name="提交").click()
    await page.wait_for_selector("#case-no")
    return await page.inner_text("#case-no"), await page.inner_text("#query-code")


async def _track(page, url, case_no, code) -> None:
    await page.goto(url)
    await page.get_by_label("信访件编号").fill(case_no)
    await page.get_by_label("查询码").fill(code)
    await page.get_by_role("button", name="查询").click()
    await page.wait_for_selector("#timeline")


async def _answer(app, case_no) -> None:
    event = CaseAnswered(
        case_no=case_no,
        department_code="C_HRSS",
        outcome="supported",
        summary="责令公司限期支付工资",
        legal_basis="《劳动合同法》第三十条",
        answered_at=app.state.intake.clock.now(),
    )
    async with app.state.intake.db.transaction() as session:
        await on_answered(session, event, envelope_of(event, time=datetime.now(UTC)))


async def test_a_petitioner_submits_tracks_and_rates_a_petition_in_the_browser(
    portal, browser, tmp_path
):
    app, url = portal
    page = await browser.new_page(java_script_enabled=False)  # works without JavaScript

    case_no, code = await _submit(page, url, tmp_path)
    assert case_no.startswith("XF") and len(code) == 10

    await _track(page, url, case_no, code)
    assert "登记" in await page.inner_text("#timeline")
    assert await page.inner_text("#status") == "已登记"
    assert await page.locator("text=满意度评价").count() == 0  # nothing to rate yet

    await _answer(app, case_no)
    await _track(page, url, case_no, code)
    assert "责令公司限期支付工资" in await page.inner_text("#timeline")
    await page.get_by_label("基本满意").check()
    await page.get_by_role("button", name="提交评价").click()
    await page.wait_for_selector("#message")
    assert await page.inner_text("#message") == "感谢您的评价"
    assert await page.locator("text=提交评价").count() == 0  # rated once

    async with app.state.intake.db.reading() as session:
        rows = (await session.exec(select(OutboxEvent))).all()
    evaluated = [json.loads(r.payload)["data"] for r in rows if r.type.endswith("evaluated.v1")]
    assert evaluated == [{**evaluated[0], "case_no": case_no, "rating": "basically_satisfied"}]
    attachments = [
        json.loads(r.payload)["data"]["attachments"] for r in rows if "received" in r.type
    ]
    assert len(attachments[0]) == 1


async def test_the_portal_speaks_english_on_request_and_shows_mistakes(portal, browser):
    _app, url = portal
    page = await browser.new_page()
    await page.goto(f"{url}/?lang=en")
    assert await page.get_attribute("html", "lang") == "en"
    await page.get_by_label("Title").fill("x")
    await page.get_by_label("Facts").fill("too short? no, long enough")
    await page.get_by_label("What you ask for").fill("help")
    await page.get_by_label("Reasons").fill("because")
    await page.get_by_role("button", name="Submit").click()
    await page.wait_for_selector("[role=alert]")
    alert = await page.inner_text("[role=alert]")
    assert "title: String should have at least 2 characters" in alert
