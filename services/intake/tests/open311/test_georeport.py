"""Open311 GeoReport v2 driven over real HTTP as a 311 client would, in XML and JSON."""

import json
from datetime import date, timedelta
from xml.etree import ElementTree as ET

import httpx
import pytest

from xinfang.common.events import DeadlineScheduled
from xinfang.common.testing.builders import envelope_of
from xinfang.common.testing.live import serving
from xinfang.intake.handlers.case_view import on_deadline
from xinfang.intake.main import create_app
from xinfang.intake.settings import IntakeSettings

KEY = "test-311-key"


@pytest.fixture
async def open311(database_url, tmp_path):
    settings = IntakeSettings(
        database_url=database_url,
        environment="test",
        start_background=False,
        attachments_dir=tmp_path / "attachments",
        open311_api_key=KEY,
    )
    app = create_app(settings)
    async with serving(app) as url, httpx.AsyncClient(base_url=f"{url}/open311/v2") as client:
        yield app, client


def a_request(**changes) -> dict[str, str]:
    form = {
        "api_key": KEY,
        "service_code": "140400",
        "first_name": "小明",
        "last_name": "王",
        "phone": "13912345678",
        "email": "wang@example.cn",
        "address_string": "江城区鼓楼街道解放路9号",
        "description": "解放路人行道上的井盖缺失多日，夜间行人容易跌落，存在安全隐患。",
        "attribute[region_code]": "369901001",
        "attribute[request]": "请尽快补装井盖。",
        "attribute[reasons]": "市政设施缺失危及行人安全。",
    }
    return {k: v for k, v in (form | changes).items() if v is not None}


async def test_discovery_and_the_service_list_come_in_both_formats(open311):
    _, client = open311
    discovery = (await client.get("/discovery.json")).json()
    assert discovery["endpoints"][0]["formats"] == ["text/xml", "application/json"]
    services = (await client.get("/services.json")).json()
    lighting = next(s for s in services if s["service_code"] == "140400")
    assert lighting["group"] == "城乡建设" and lighting["metadata"] is True
    xml = ET.fromstring((await client.get("/services.xml")).content)
    assert xml.tag == "services" and xml.find("service/service_code") is not None


async def test_a_service_definition_lists_the_attributes_a_request_needs(open311):
    _, client = open311
    definition = (await client.get("/services/140400.json")).json()
    codes = {a["code"]: a for a in definition["attributes"]}
    assert codes["request"]["required"] is True
    assert {"key": "369901001", "name": "鼓楼街道"} in codes["region_code"]["values"]
    xml = ET.fromstring((await client.get("/services/140400.xml")).content)
    assert xml.find("attributes/attribute/values/value/key") is not None


async def test_a_request_is_filed_looked_up_by_token_and_read_back_with_its_deadline(open311):
    app, client = open311
    response = await client.post("/requests.json", data=a_request())
    assert response.status_code == 201, response.text
    [created] = response.json()
    case_no, token = created["service_request_id"], created["token"]

    by_token = (await client.get(f"/tokens/{token}.json")).json()
    assert by_token == [{"service_request_id": case_no, "token": token}]

    deadline = DeadlineScheduled(
        case_no=case_no,
        kind="routing",
        starts_on=date(2026, 3, 2),
        due_on=date(2026, 3, 17),
        basis="15日",
    )
    async with app.state.intake.db.transaction() as session:
        later = app.state.intake.clock.now() + timedelta(minutes=1)
        await on_deadline(session, deadline, envelope_of(deadline, time=later))

    [one] = (await client.get(f"/requests/{case_no}.json?extensions=true")).json()
    assert one["status"] == "open" and one["service_code"] == "140400"
    assert one["expected_datetime"] == "2026-03-17T23:59:59+08:00"
    assert one["address"] == "鼓楼街道"
    assert [n["type"] for n in one["notes"]] == [
        "xinfang.petition.received.v1",
        "xinfang.deadline.scheduled.v1",
    ]
    text = json.dumps(one, ensure_ascii=False)
    for clear in ("王", "13912345678", "wang@example.cn", "解放路9号"):
        assert clear not in text.replace(one["description"], "")

    xml = ET.fromstring((await client.get(f"/requests/{case_no}.xml")).content)
    assert xml.findtext("request/service_request_id") == case_no
    assert xml.findtext("request/expected_datetime") == "2026-03-17T23:59:59+08:00"


async def test_a_request_filed_in_xml_answers_in_xml(open311):
    _, client = open311
    response = await client.post("/requests.xml", data=a_request())
    assert response.status_code == 201
    root = ET.fromstring(response.content)
    assert root.findtext("request/service_request_id").startswith("XF")


async def test_requests_are_listed_filtered_and_paged(open311):
    _, client = open311
    for n in range(3):
        await client.post(
            "/requests.json", data=a_request(description=f"第{n}处井盖缺失，存在安全隐患。")
        )
    await client.post("/requests.json", data=a_request(service_code="100000"))
    everything = (await client.get("/requests.json")).json()
    lighting = (await client.get("/requests.json?service_code=140400")).json()
    page = (await client.get("/requests.json?service_code=140400&page_size=2&page=2")).json()
    closed = (await client.get("/requests.json?status=closed")).json()
    assert len(everything) == 4 and len(lighting) == 3 and len(page) == 1 and closed == []
    wanted = ",".join(r["service_request_id"] for r in lighting[:2])
    assert len((await client.get(f"/requests.json?service_request_id={wanted}")).json()) == 2
    xml = ET.fromstring((await client.get("/requests.xml")).content)
    assert len(xml.findall("request")) == 4


@pytest.mark.parametrize(
    ("call", "status", "words"),
    [
        (("post", "/requests.json", a_request(api_key=None)), 403, "api_key"),
        (("post", "/requests.json", a_request(api_key="wrong")), 403, "api_key"),
        (("post", "/requests.json", a_request(service_code=None)), 400, "service_code"),
        (("post", "/requests.json", a_request(service_code="999999")), 404, "service_code"),
        (("post", "/requests.json", a_request(**{"attribute[request]": None})), 400, "request"),
        (("post", "/requests.json", a_request(phone=None, email=None)), 400, "phone"),
        (("get", "/services/999999.json", None), 404, "service_code"),
        (("get", "/requests/XF20990101000001.json", None), 404, "service_request_id"),
        (("get", "/tokens/nope.json", None), 404, "token"),
        (
            (
                "get",
                "/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z",
                None,
            ),
            400,
            "90 days",
        ),
        (("get", "/requests.json?jurisdiction_id=elsewhere", None), 404, "jurisdiction"),
    ],
)
async def test_errors_come_in_the_spec_s_format(open311, call, status, words):
    _, client = open311
    method, path, form = call
    response = await client.request(method, path, data=form)
    assert response.status_code == status
    [error] = response.json()
    assert error["code"] == status and words in error["description"]


async def test_an_error_asked_for_in_xml_is_xml(open311):
    _, client = open311
    response = await client.post("/requests.xml", data=a_request(api_key="wrong"))
    assert response.status_code == 403
    root = ET.fromstring(response.content)
    assert root.tag == "errors" and root.findtext("error/code") == "403"
