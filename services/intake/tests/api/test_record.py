"""The full petition record: every channel, many petitioners, the law's required fields, ID
numbers, the accused, attachments; what `petition.received` carries."""

import pytest

from xinfang.intake.testing import a_full_petition, a_petition, a_petitioner, a_resident_id

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"x" * 100


async def _register(client, body):
    response = await client.post("/api/v1/petitions", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def _errors(client, body, status=422):
    response = await client.post("/api/v1/petitions", json=body)
    assert response.status_code == status, response.text
    errors = response.json()["errors"]
    assert all(e["message"]["zh"] and e["message"]["en"] for e in errors)
    return {(e["field"], e["code"]) for e in errors}


@pytest.mark.parametrize(
    "channel", ["web", "letter", "visit", "phone", "fax", "email", "leader_mailbox", "open311"]
)
async def test_every_channel_is_registered(client, channel):
    assert (await _register(client, a_petition(channel=channel)))["case_no"]


async def test_the_full_record_is_stored_and_published_with_masked_people(client, events):
    body = a_full_petition(
        petitioners=[
            a_petitioner(id_type="resident_id", id_number=a_resident_id()),
            a_petitioner(kind="organisation", name="江宁市某某物业管理有限公司", phone=None),
        ],
        accused={"kind": "unit", "unit_name": "江城区住房和城乡建设局"},
        matter_type="accusation",
    )
    created = await _register(client, body)

    [(kind, data)] = await events()
    assert kind == "xinfang.petition.received.v1"
    assert data["case_no"] == created["case_no"]
    assert data["content"] == body["facts"]
    assert data["request"] == body["request"] and data["reasons"] == body["reasons"]
    assert data["matter_type"] == "accusation" and data["purpose"] == "resolution"
    assert data["accused"]["department_code"] == "D01_HOUSING"  # found by name in the directory
    assert data["flags"]["confidential"] is True
    assert data["receiving_office"] == "C_PETITION"
    assert data["locality_level"] == "district"
    assert data["category_version"].startswith("sha256:")
    assert [p["name_masked"][:3] for p in data["petitioners"]] == ["张*丰", "江宁*"]
    assert data["petitioners"][0]["ref"] != data["petitioners"][1]["ref"]
    for clear in ("张三丰", a_resident_id(), "13800138000", "解放路1号", "zhang@example.cn"):
        assert clear not in str(data)


async def test_the_older_content_field_stands_for_the_facts(client, events):
    await _register(client, a_petition())
    [(_, data)] = await events()
    assert data["content"] == a_petition()["content"]
    assert data["request"] is None


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"content": None, "facts": None}, ("facts", "missing")),
        ({"request": None}, ("request", "missing")),
        ({"reasons": None}, ("reasons", "missing")),
        ({"petitioners": [a_petitioner(name=None)]}, ("petitioners.0.name", "missing")),
        ({"petitioners": [a_petitioner(address=None)]}, ("petitioners.0.address", "missing")),
        (
            {"petitioners": [a_petitioner(phone=None, email=None)]},
            ("petitioners.0.phone", "missing_contact"),
        ),
        (
            {"petitioners": [a_petitioner(id_type="resident_id", id_number="369901198001011231")]},
            ("petitioners.0.id_number", "id_number_invalid"),
        ),
        (
            {"petitioners": [a_petitioner(id_type="resident_id", id_number="369901198002301230")]},
            ("petitioners.0.id_number", "id_number_invalid"),
        ),
        (
            {"petitioners": [a_petitioner(id_type="passport")]},
            ("petitioners.0.id_number", "missing"),
        ),
        (
            {"petitioners": [a_petitioner(address_region_code="110101")]},
            ("petitioners.0.address_region_code", "unknown_region"),
        ),
        (
            {"accused": {"kind": "unit", "department_code": "NOWHERE"}},
            ("accused.department_code", "unknown_department"),
        ),
        ({"accused": {"kind": "person"}}, ("accused.person_name", "missing")),
        ({"receiving_office": "NOWHERE"}, ("receiving_office", "unknown_department")),
        ({"matter_type": "gossip"}, ("matter_type", "literal_error")),
        ({"flags": {"vip": True}}, ("flags.vip", "extra_forbidden")),
        ({"request": "x" * 2001}, ("request", "string_too_long")),
        (
            {"channel": "visit", "petitioners": [a_petitioner(name=f"代表{i}") for i in range(6)]},
            ("petitioners", "too_many_representatives"),
        ),
    ],
)
async def test_a_petition_the_law_or_the_reference_data_refuses_stores_nothing(
    client, counts, changes, expected
):
    body = {k: v for k, v in (a_full_petition() | changes).items() if v is not None}
    assert expected in await _errors(client, body)
    assert await counts() == (0, 0, 0)


async def test_all_the_problems_of_a_petition_are_reported_at_once(client):
    body = a_full_petition(petitioners=[a_petitioner(name=None, address=None)])
    del body["request"]
    found = await _errors(client, body)
    assert {("petitioners.0.name", "missing"), ("petitioners.0.address", "missing")} <= found
    assert ("request", "missing") in found


async def test_an_anonymous_petition_needs_no_name_address_or_contact(client, events):
    person = {"phone": None, "email": None, "name": None, "address": None}
    body = a_petition(
        petitioners=[{k: v for k, v in a_petitioner(**person).items() if v}],
        flags={"anonymous": True},
        matter_type="accusation",
    )
    await _register(client, body)
    [(_, data)] = await events()
    assert data["flags"]["anonymous"] is True
    assert data["petitioners"][0]["name_masked"] == "匿名"


async def test_a_visit_records_up_to_five_representatives(client):
    people = [a_petitioner(name=f"代表{i}号") for i in range(5)]
    assert await _register(client, a_petition(channel="visit", petitioners=people))


async def test_an_attachment_is_stored_once_by_its_hash_and_cited_by_a_petition(
    client, app, events
):
    first = await client.post("/api/v1/attachments", files={"file": ("a.png", PNG, "image/png")})
    again = await client.post("/api/v1/attachments", files={"file": ("b.png", PNG, "image/png")})
    assert first.status_code == again.status_code == 201
    sha = first.json()["sha256"]
    assert again.json()["sha256"] == sha and first.json()["content_type"] == "image/png"
    assert app.state.intake.attachments.read(sha) == PNG

    await _register(client, a_petition(attachments=[{"sha256": sha, "filename": "现场.png"}]))
    [(_, data)] = await events()
    assert data["attachments"] == [sha]


@pytest.mark.parametrize(
    ("upload", "status", "code"),
    [
        (("big.pdf", PDF + b"x" * 2_000_000, "application/pdf"), 413, "payload_too_large"),
        (
            ("run.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\xff\xff", "application/x-msdownload"),
            415,
            "unsupported_media_type",
        ),
        (("fake.pdf", PNG, "application/pdf"), 415, "unsupported_media_type"),
        (("empty.txt", b"", "text/plain"), 422, "empty_file"),
    ],
)
async def test_an_attachment_of_the_wrong_type_or_size_is_refused(
    client, app, upload, status, code
):
    response = await client.post("/api/v1/attachments", files={"file": upload})
    assert response.status_code == status
    assert response.json()["errors"][0]["code"] == code
    assert not any(app.state.intake.attachments.root.rglob("*")) or status == 422


async def test_a_petition_citing_an_unknown_attachment_is_refused(client, counts):
    body = a_petition(attachments=[{"sha256": "0" * 64, "filename": "x.pdf"}])
    assert ("attachments.0.sha256", "unknown_attachment") in await _errors(client, body)
    assert await counts() == (0, 0, 0)
