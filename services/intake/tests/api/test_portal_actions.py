"""Portal actions over plain HTTP: review within the 30-day window, rating once, wrong codes."""

from datetime import timedelta

from xinfang.common.events import CaseAnswered
from xinfang.common.testing.builders import envelope_of
from xinfang.intake.handlers.case_view import on_answered
from xinfang.intake.testing import a_full_petition


async def _registered_and_answered(client, app, stage="handling") -> dict:
    created = (await client.post("/api/v1/petitions", json=a_full_petition())).json()
    now = app.state.intake.clock.now()
    event = CaseAnswered(
        case_no=created["case_no"],
        department_code="C_HRSS",
        stage=stage,
        outcome="explained",
        summary="已解释说明",
        legal_basis="有关规定",
        answered_at=now,
    )
    async with app.state.intake.db.transaction() as session:
        await on_answered(session, event, envelope_of(event, time=now))
    return created


def _form(created, **more) -> dict:
    return {"case_no": created["case_no"], "query_code": created["query_code"]} | more


async def test_a_review_is_asked_within_thirty_days_of_the_answer(client, app, events):
    created = await _registered_and_answered(client, app)
    page = await client.post("/track", data=_form(created))
    assert "申请复查" in page.text

    response = await client.post("/review", data=_form(created, reason="处理结果与事实不符"))

    assert response.status_code == 200 and "申请已提交" in response.text
    asked = [d for t, d in await events() if t == "xinfang.petition.review_requested.v1"]
    assert asked[0]["level"] == "review" and asked[0]["case_no"] == created["case_no"]


async def test_after_the_review_decision_the_next_step_is_re_review(client, app, events):
    created = await _registered_and_answered(client, app, stage="review")
    await client.post("/review", data=_form(created, reason="不服复查意见"))
    asked = [d for t, d in await events() if t == "xinfang.petition.review_requested.v1"]
    assert asked[0]["level"] == "re_review"


async def test_a_review_asked_after_thirty_days_is_refused(client, app, clock, events):
    created = await _registered_and_answered(client, app)
    clock.advance(timedelta(days=31))
    response = await client.post("/review", data=_form(created, reason="处理结果与事实不符"))
    assert "不在可申请复查/复核的期限内" in response.text
    assert not [t for t, _ in await events() if t.endswith("review_requested.v1")]


async def test_a_case_is_rated_once(client, app, events):
    created = await _registered_and_answered(client, app)
    await client.post("/rate", data=_form(created, rating="satisfied"))
    again = await client.post("/rate", data=_form(created, rating="dissatisfied"))
    assert "已评价" in again.text
    ratings = [d["rating"] for t, d in await events() if t.endswith("evaluated.v1")]
    assert ratings == ["satisfied"]


async def test_a_wrong_query_code_shows_nothing_of_the_case(client, app):
    created = await _registered_and_answered(client, app)
    response = await client.post("/track", data=_form(created, query_code="AAAAAAAAAA"))
    assert response.status_code == 404
    assert created["case_no"] not in response.text.replace('name="case_no"', "")
    assert "已解释说明" not in response.text
