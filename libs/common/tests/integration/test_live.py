"""The browser-test tooling: an app on a real port, driven by headless Chromium."""

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from xinfang.common.testing.live import serving

PAGE = """<!doctype html><html lang="zh-CN"><body><h1>信访</h1>
<button onclick="document.querySelector('h1').textContent='已点击'">点击</button></body></html>"""


async def test_a_served_page_renders_chinese_and_reacts_to_a_click(browser):
    app = FastAPI()

    @app.get("/", response_class=HTMLResponse)
    async def home() -> str:
        return PAGE

    async with serving(app) as url:
        page = await browser.new_page()
        await page.goto(url)
        assert await page.text_content("h1") == "信访"
        await page.click("text=点击")
        assert await page.text_content("h1") == "已点击"
