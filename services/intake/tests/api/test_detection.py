"""Detection at registration, each explained on the case: repeat, collective, leapfrog, and the
refusals (不予受理, 不再受理, court-related redirection)."""

from datetime import UTC, datetime, timedelta

import pytest

from xinfang.common.auth import Role
from xinfang.common.events import CaseAnswered, CaseFinalised
from xinfang.common.testing.builders import envelope_of
from xinfang.intake.handlers.case_view import on_answered, on_finalised
from xinfang.intake.testing import a_full_petition, a_petitioner

WAGES = a_full_petition()
WAGES_AGAIN = a_full_petition(
    facts="本人在某建筑工地务工半年，工资两万元到现在还没有结清，多次讨要无果。",
    title="再次反映拖欠工资",
)
NOISE = a_full_petition(
    category_code="140000",
    title="夜间施工噪音",
    facts="楼下工地每晚十一点以后仍在施工，噪音很大，严重影响居民休息。",
    request="请求依法查处夜间违规施工。",
    reasons="夜间施工应当依法取得许可并采取降噪措施。",
)


async def _register(client, body) -> dict:
    response = await client.post("/api/v1/petitions", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def _record(client, bearer, case_no) -> dict:
    response = await client.get(f"/api/v1/cases/{case_no}", headers=bearer(Role.CLERK))
    assert response.status_code == 200, response.text
    return response.json()


async def _received(events, case_no) -> dict:
    return next(
        d
        for t, d in await events()
        if t == "xinfang.petition.received.v1" and d["case_no"] == case_no
    )


async def test_a_similar_matter_from_the_same_petitioner_is_linked_and_counted(
    client, bearer, events
):
    first = await _register(client, WAGES)
    second = await _register(client, WAGES_AGAIN)
    third = await _register(client, WAGES)

    assert "repeat" not in first["flags"] and "repeat" in second["flags"]
    record = await _record(client, bearer, third["case_no"])
    assert (record["repeat_of"], record["repeat_count"]) == (first["case_no"], 2)
    assert record["flags"]["repeat"] is True
    [why] = [w for w in record["why_flagged"] if w["rule"] == "repeat"]
    assert first["case_no"] in why["zh"] and "similarity" in why["en"]
    event = await _received(events, second["case_no"])
    assert event["repeat_of"] == first["case_no"] and event["repeat_count"] == 1
    assert event["why_flagged"][0]["rule"] == "repeat"


@pytest.mark.parametrize(
    "other",
    [
        NOISE,  # same petitioner, another matter
        WAGES | {"petitioners": [a_petitioner(name="李四", phone="13911112222")]},  # another person
    ],
)
async def test_another_matter_or_another_person_is_no_repeat(client, other):
    await _register(client, WAGES)
    assert "repeat" not in (await _register(client, other))["flags"]


async def test_a_repeat_is_looked_for_only_within_the_window(client, clock):
    await _register(client, WAGES)
    clock.advance(timedelta(days=181))
    assert "repeat" not in (await _register(client, WAGES))["flags"]


async def test_five_people_involved_make_a_collective_petition(client, bearer):
    four = await _register(client, NOISE | {"people_involved": 4})
    five = await _register(
        client, NOISE | {"people_involved": 5, "petitioners": [a_petitioner(name="王五")]}
    )
    assert "collective" not in four["flags"]
    record = await _record(client, bearer, five["case_no"])
    assert record["flags"]["collective"] is True
    assert "涉及人数 5 人" in record["why_flagged"][0]["zh"]


async def test_a_street_matter_brought_to_the_city_skips_a_level(client, bearer):
    street = await _register(client, NOISE | {"region_code": "369901001"})
    at_district = await _register(
        client,
        NOISE
        | {
            "region_code": "369901001",
            "receiving_office": "D01_PETITION",
            "petitioners": [a_petitioner(name="赵六")],
        },
    )
    record = await _record(client, bearer, street["case_no"])
    assert record["flags"]["leapfrog"] is True
    assert "越级" in record["why_flagged"][0]["zh"]
    assert "leapfrog" not in at_district["flags"]


async def test_a_matter_being_handled_below_is_not_accepted_again_by_a_higher_office(
    client, bearer, events
):
    below = await _register(client, WAGES | {"receiving_office": "D01_PETITION"})
    above = await _register(client, WAGES_AGAIN)

    assert above["refused"] is True and "not_accepted" in above["flags"]
    record = await _record(client, bearer, above["case_no"])
    assert record["status"] == "refused"
    [why] = [w for w in record["why_flagged"] if w["rule"] == "not_accepted"]
    assert why["related_case"] == below["case_no"] and "不予受理" in why["zh"]
    kinds = [t for t, d in await events() if d["case_no"] == above["case_no"]]
    assert kinds == ["xinfang.petition.received.v1", "xinfang.petition.refused.v1"]
    refused = next(d for t, d in await events() if t == "xinfang.petition.refused.v1")
    assert refused["kind"] == "not_accepted" and "第十九条" in refused["basis"]
    assert (await _received(events, above["case_no"]))["refused"] == "not_accepted"


async def test_a_matter_answered_and_past_its_review_window_may_be_brought_again(
    client, app, clock
):
    below = await _register(client, WAGES | {"receiving_office": "D01_PETITION"})
    await _apply(app, on_answered, _answered(below["case_no"], clock.now()))
    clock.advance(timedelta(days=31))
    assert (await _register(client, WAGES_AGAIN))["refused"] is False


async def test_a_matter_finalised_after_re_review_is_not_accepted_again(client, app, events):
    first = await _register(client, WAGES)
    finalised = CaseFinalised(
        case_no=first["case_no"], reason="复核终结", finalised_at=datetime.now(UTC)
    )
    await _apply(app, on_finalised, finalised)

    again = await _register(client, WAGES_AGAIN)

    assert again["refused"] is True
    refused = next(d for t, d in await events() if t == "xinfang.petition.refused.v1")
    assert refused["kind"] == "not_reaccepted" and refused["related_case"] == first["case_no"]
    assert "不再受理" in refused["reason"] and "第三十六条" in refused["basis"]


async def test_a_court_related_matter_is_pointed_to_the_proper_procedure(client, events):
    created = await _register(client, NOISE | {"flags": {"court_related": True}})
    assert created["refused"] is True
    refused = next(d for t, d in await events() if t == "xinfang.petition.refused.v1")
    assert refused["kind"] == "redirected" and "人民法院" in refused["reason"]


async def test_the_petitioner_sees_the_refusal_and_its_reason_on_the_case(client):
    created = await _register(client, NOISE | {"flags": {"court_related": True}})
    view = (
        await client.get(
            f"/api/v1/petitions/{created['case_no']}",
            headers={"X-Query-Code": created["query_code"]},
        )
    ).json()
    assert view["status"] == "refused"
    assert "诉讼" in view["timeline"][-1]["details"]["reason"]


def _answered(case_no: str, at: datetime) -> CaseAnswered:
    return CaseAnswered(
        case_no=case_no,
        department_code="C_HRSS",
        outcome="supported",
        summary="责令施工单位支付工资",
        legal_basis="《劳动合同法》第三十条",
        answered_at=at,
    )


async def _apply(app, handler, event) -> None:
    async with app.state.intake.db.transaction() as session:
        await handler(session, event, envelope_of(event, time=datetime.now(UTC)))
