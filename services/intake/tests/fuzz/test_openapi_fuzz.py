"""Schemathesis against intake's OpenAPI, with every role's token and a registered petition's
case number and query code among the values tried."""

from pathlib import Path

import httpx

from xinfang.common.testing.fuzz import Fuzzing
from xinfang.intake.main import create_app
from xinfang.intake.settings import IntakeSettings

PETITION = {
    "channel": "web",
    "petitioners": [{"name": "张三", "phone": "13800138000", "address": "江城区鼓楼街道1号"}],
    "region_code": "369901",
    "category_code": "140000",
    "title": "小区夜间施工噪音扰民",
    "content": "某工地连续多日夜间施工，严重影响居民休息。",
}


async def register(client: httpx.AsyncClient) -> dict[str, str]:
    response = await client.post("/api/v1/petitions", json=PETITION)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_every_operation_answers_every_role_within_its_documented_schema(
    database_url: str, nats_url: str, tmp_path: Path
) -> None:
    settings = IntakeSettings(
        database_url=database_url,
        nats_url=nats_url,
        environment="test",
        attachments_dir=tmp_path / "attachments",
        lookups_per_minute=1000,  # past the query-code guard, so cases reach the handlers
    )
    with Fuzzing(create_app(settings)) as fuzz:
        petition = fuzz.run(register, fuzz.client)
        known = {
            "case_no": [petition["case_no"]],
            "x-query-code": [petition["query_code"]],
            "fmt": ["json", "xml"],
        }
        failures = fuzz.every_operation(callers=fuzz.callers(), known=known)
    print(fuzz.summary())
    assert not failures, "\n\n".join(failures)
    # The known values took cases past the 404 of an unknown case or format.
    assert fuzz.answered[("GET /api/v1/petitions/{case_no}", 200)] > 0
    assert fuzz.answered[("GET /open311/v2/services.{fmt}", 200)] > 0
