"""Registration over HTTP: validation, nothing stored on rejection, tracking by query code."""

import pytest
from sqlmodel import func, select

from xinfang.common.messaging.tables import OutboxEvent
from xinfang.intake.models import Petition, Petitioner
from xinfang.intake.testing import a_petition


async def stored_counts(app) -> tuple[int, int, int]:
    async with app.state.intake.db.reading() as session:
        counts = []
        for table in (Petition, Petitioner, OutboxEvent):
            counts.append((await session.exec(select(func.count()).select_from(table))).one())
    return tuple(counts)


async def test_a_petition_is_registered_with_a_case_number_and_a_query_code(client, app):
    response = await client.post("/api/v1/petitions", json=a_petition())

    assert response.status_code == 201
    body = response.json()
    assert body["case_no"].startswith("XF") and len(body["case_no"]) == 16
    assert len(body["query_code"]) == 10
    assert await stored_counts(app) == (1, 1, 1)


async def test_a_petitioner_s_personal_data_is_stored_encrypted(client, app):
    await client.post("/api/v1/petitions", json=a_petition())
    async with app.state.intake.db.reading() as session:
        row = (await session.exec(select(Petitioner))).one()
        outbox = (await session.exec(select(OutboxEvent))).one()
    stored = " ".join(
        str(v) for v in [row.name_sealed, row.phone_sealed, row.address_sealed, row.email_sealed]
    )
    for clear in ("张三丰", "13800138000", "解放路", "zhang@example.cn"):
        assert clear not in stored
        assert clear not in outbox.payload
    assert app.state.intake.pii.open(row.name_sealed) == "张三丰"
    assert "张*丰" in outbox.payload


async def test_a_case_is_tracked_with_its_query_code_and_hidden_without_it(client):
    created = (await client.post("/api/v1/petitions", json=a_petition())).json()
    url = f"/api/v1/petitions/{created['case_no']}"

    found = await client.get(url, headers={"X-Query-Code": created["query_code"].lower()})
    wrong = await client.get(url, headers={"X-Query-Code": "AAAAAAAAAA"})
    unknown = await client.get(
        "/api/v1/petitions/XF20990101000001", headers={"X-Query-Code": created["query_code"]}
    )
    missing = await client.get(url)

    assert found.status_code == 200
    view = found.json()
    assert view["status"] == "registered"
    assert [t["event"] for t in view["timeline"]] == ["xinfang.petition.received.v1"]
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "x-query-code"


async def test_case_numbers_follow_each_other_within_a_day(client):
    first = (await client.post("/api/v1/petitions", json=a_petition())).json()["case_no"]
    second = (await client.post("/api/v1/petitions", json=a_petition())).json()["case_no"]
    assert int(second[-6:]) == int(first[-6:]) + 1
    assert second[:10] == first[:10]


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({k: v for k, v in a_petition().items() if k != "title"}, "title", "missing"),
        (a_petition(petitioners=[]), "petitioners", "too_short"),
        (a_petition(people_involved="many"), "people_involved", "int_parsing"),
        (a_petition(category_code="999999"), "category_code", "unknown_category"),
        (a_petition(region_code="110101"), "region_code", "unknown_region"),
        (a_petition(category_code="14"), "category_code", "string_pattern_mismatch"),
        (a_petition(channel="pigeon"), "channel", "literal_error"),
        (a_petition(unexpected=1), "unexpected", "extra_forbidden"),
        (
            a_petition(petitioners=[{"name": "张三", "address": "江城区", "phone": "12ab"}]),
            "petitioners.0.phone",
            "string_pattern_mismatch",
        ),
        (
            a_petition(petitioners=[{"name": "张三", "address": "江城区", "email": "nope"}]),
            "petitioners.0.email",
            "value_error",
        ),
        (a_petition(content="x" * 4001), "content", "string_too_long"),
    ],
)
async def test_bad_input_is_refused_with_field_and_reason_and_nothing_is_stored(
    client, app, body, field, code
):
    response = await client.post("/api/v1/petitions", json=body)

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {"code": code, "field": field} in [
        {"code": e["code"], "field": e["field"]} for e in errors
    ]
    assert all(e["message"]["zh"] and e["message"]["en"] for e in errors)
    assert await stored_counts(app) == (0, 0, 0)


async def test_an_oversize_body_is_refused_with_413_and_nothing_is_stored(client, app):
    response = await client.post("/api/v1/petitions", json=a_petition(content="噪" * 400_000))
    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "payload_too_large"
    assert await stored_counts(app) == (0, 0, 0)


async def test_a_body_that_is_not_json_is_refused_with_422(client, app):
    response = await client.post(
        "/api/v1/petitions", content=b"{oops", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "json_invalid"
    assert await stored_counts(app) == (0, 0, 0)


async def test_the_reference_codes_of_the_city_are_listed(client):
    categories = (await client.get("/api/v1/categories")).json()
    regions = (await client.get("/api/v1/regions")).json()
    assert {"code": "140000", "name": "城乡建设", "level": 1, "parent": None} in categories
    assert any(r["code"] == "369901" and r["level"] == "district" for r in regions)
