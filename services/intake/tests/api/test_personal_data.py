"""Personal data: sealed at rest under rotatable keys, an HMAC of the ID number, the full identity
only for allowed roles and every such read audited."""

import io

import pytest
from sqlmodel import select

from xinfang.common.auth import Role
from xinfang.common.crypto import Sealer, derive_key, keyed_hash
from xinfang.intake.bootstrap import bootstrap
from xinfang.intake.cli import rotate
from xinfang.intake.models import Petition, Petitioner
from xinfang.intake.testing import a_full_petition, a_resident_id

IDENTITY = "/api/v1/petitions/{}/identity"


@pytest.fixture
async def case_no(client):
    body = a_full_petition(accused={"kind": "person", "person_name": "李科长"})
    return (await client.post("/api/v1/petitions", json=body)).json()["case_no"]


async def test_the_id_number_is_sealed_and_matched_by_its_keyed_hash(app, case_no):
    intake = app.state.intake
    async with intake.db.reading() as session:
        person = (await session.exec(select(Petitioner))).one()
        petition = await session.get(Petition, case_no)
    assert a_resident_id() not in person.id_number_sealed
    assert intake.pii.open(person.id_number_sealed) == a_resident_id()
    assert person.id_hash == keyed_hash(a_resident_id(), key=intake.settings.hash_key)
    assert "李科长" not in petition.accused_person_sealed


async def test_a_clerk_reads_the_full_identity_and_the_read_is_audited(
    client, bearer, case_no, clock
):
    response = await client.get(
        IDENTITY.format(case_no),
        params={"reason": "电话回访核实身份"},
        headers=bearer(Role.CLERK, sub="clerk-9"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    person = body["petitioners"][0]
    assert (person["name"], person["id_number"]) == ("张三丰", a_resident_id())
    assert person["phone"] == "13800138000" and person["address"].endswith("解放路1号")
    assert body["accused_person"] == "李科长"

    audit = await client.get("/api/v1/identity-reads", headers=bearer(Role.ADMIN, sub="root"))
    assert audit.status_code == 200
    [read] = audit.json()
    assert read["case_no"] == case_no and read["principal"] == "clerk-9"
    assert read["roles"] == ["clerk"] and read["reason"] == "电话回访核实身份"
    assert read["at"].startswith(clock.now().date().isoformat())


@pytest.mark.parametrize(
    ("roles", "status"), [((), 401), ((Role.HANDLER,), 403), ((Role.LEADER,), 403)]
)
async def test_other_roles_never_see_the_identity_and_leave_no_audit_row(
    client, bearer, case_no, roles, status
):
    headers = bearer(*roles) if roles else {}
    response = await client.get(
        IDENTITY.format(case_no), params={"reason": "想看看"}, headers=headers
    )
    assert response.status_code == status
    assert "张三丰" not in response.text
    audit = await client.get("/api/v1/identity-reads", headers=bearer(Role.ADMIN))
    assert audit.json() == []


async def test_an_identity_read_without_a_reason_is_refused(client, bearer, case_no):
    response = await client.get(IDENTITY.format(case_no), headers=bearer(Role.SUPERVISOR))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "reason"


async def test_only_an_admin_lists_the_identity_audit(client, bearer):
    response = await client.get("/api/v1/identity-reads", headers=bearer(Role.SUPERVISOR))
    assert response.status_code == 403


async def test_rotating_keys_reseals_everything_under_the_new_key(settings, client, case_no):
    new_key = derive_key("rotation-test", "pii")
    rotated = settings.model_copy(update={"pii_keys": [new_key, *settings.pii_keys]})
    out = io.StringIO()

    count = await rotate(rotated, out=out)

    assert count == 2  # one petitioner, one petition
    assert "100%" in out.getvalue() and "re-sealed 2 rows" in out.getvalue()
    only_new = Sealer([new_key])
    intake = bootstrap(rotated)
    async with intake.db.reading() as session:
        person = (await session.exec(select(Petitioner))).one()
        petition = await session.get(Petition, case_no)
    await intake.db.dispose()
    assert only_new.open(person.name_sealed) == "张三丰"
    assert only_new.open(person.id_number_sealed) == a_resident_id()
    assert only_new.open(person.email_sealed) == "zhang@example.cn"
    assert only_new.open(petition.accused_person_sealed) == "李科长"
