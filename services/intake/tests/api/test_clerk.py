"""Clerk registration of letters, visits, calls and collective visits: the API and the page."""

import re
from datetime import UTC, datetime

from xinfang.common.auth import Role, issue_token
from xinfang.intake.testing import a_full_petition, a_petitioner

COLLECTIVE_VISIT = a_full_petition(
    channel="visit",
    people_involved=30,
    petitioners=[a_petitioner(name=f"代表{n}号", phone=f"1380000000{n}") for n in range(5)],
)


async def test_a_clerk_registers_a_collective_visit_as_its_registering_clerk(client, bearer):
    response = await client.post(
        "/api/v1/clerk/petitions", json=COLLECTIVE_VISIT, headers=bearer(Role.CLERK, sub="clerk-3")
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert "collective" in created["flags"]
    record = await client.get(f"/api/v1/cases/{created['case_no']}", headers=bearer(Role.CLERK))
    assert record.json()["registered_by"] == "clerk-3"
    assert len(record.json()["petitioners"]) == 5


async def test_a_sixth_representative_of_a_visit_is_refused(client, bearer, counts):
    body = COLLECTIVE_VISIT | {"petitioners": [a_petitioner(name=f"代表{n}") for n in range(6)]}
    response = await client.post("/api/v1/clerk/petitions", json=body, headers=bearer(Role.CLERK))
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "too_many_representatives"
    assert await counts() == (0, 0, 0)


async def test_only_a_clerk_registers_on_behalf_of_someone(client, bearer):
    response = await client.post(
        "/api/v1/clerk/petitions", json=COLLECTIVE_VISIT, headers=bearer(Role.HANDLER)
    )
    assert response.status_code == 403


async def test_the_clerk_page_is_chinese_by_default_and_labels_every_field(client):
    page = (await client.get("/clerk")).text
    assert '<html lang="zh-CN">' in page and "<h1>来信来访来电登记</h1>" in page
    ids = set(re.findall(r'id="([a-z_]+)"', page))
    labelled = set(re.findall(r'<label for="([a-z_]+)"', page))
    assert {"name", "facts", "request", "reasons", "channel"} <= labelled
    assert {i for i in ids if i not in ("case-no", "query-code")} <= labelled
    assert '<html lang="en">' in (await client.get("/clerk?lang=en")).text


def _form(app, **changes) -> dict[str, str]:
    token = issue_token(
        secret=app.state.jwt_secret, sub="clerk-5", roles=[Role.CLERK], now=datetime.now(UTC)
    )
    form = {
        "token": token,
        "channel": "letter",
        "name": "王小明",
        "id_number": "",
        "phone": "13912345678",
        "address": "新港区港城街道8号",
        "representatives": "",
        "people_involved": "1",
        "region_code": "369902",
        "category_code": "060000",
        "matter_type": "appeal",
        "title": "拖欠工资",
        "facts": "某公司拖欠三个月工资未发放。",
        "request": "请求督促支付工资。",
        "reasons": "劳动者有权按时获得劳动报酬。",
    }
    return form | changes


async def test_a_letter_registered_on_the_page_shows_its_case_number_and_query_code(client, app):
    response = await client.post("/clerk", data=_form(app))
    assert response.status_code == 201
    assert re.search(r'id="case-no">XF\d{14}<', response.text)
    assert re.search(r'id="query-code">[A-Z2-9]{10}<', response.text)


async def test_a_page_with_mistakes_shows_them_keeps_the_values_and_stores_nothing(
    client, app, counts
):
    response = await client.post(
        "/clerk?lang=en", data=_form(app, request="", id_number="369901198001011231")
    )
    assert response.status_code == 422
    assert 'role="alert"' in response.text
    assert "request is required" in response.text
    assert "check digit" in response.text
    assert 'value="王小明"' in response.text
    assert await counts() == (0, 0, 0)


async def test_the_page_refuses_someone_without_a_clerk_token(client, app, counts):
    response = await client.post("/clerk", data=_form(app, token="not-a-token"))
    assert response.status_code == 401
    assert await counts() == (0, 0, 0)
