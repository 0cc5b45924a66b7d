"""The petitioner's JSON actions with the query code: rating and review requests follow the portal's
rules, answer each refusal in the one error shape and store nothing when they refuse."""

from datetime import timedelta

import pytest
from sqlmodel import func, select

from xinfang.common.events import CaseAnswered
from xinfang.common.messaging.tables import OutboxEvent
from xinfang.common.testing.builders import envelope_of
from xinfang.intake.handlers.case_view import on_answered
from xinfang.intake.models import Petition, TimelineEntry
from xinfang.intake.testing import a_full_petition


async def _registered(client) -> dict:
    return (await client.post("/api/v1/petitions", json=a_full_petition())).json()


async def _answer(app, case_no: str, stage: str = "handling") -> None:
    now = app.state.intake.clock.now()
    event = CaseAnswered(
        case_no=case_no,
        department_code="C_HRSS",
        stage=stage,
        outcome="explained",
        summary="已解释说明",
        legal_basis="有关规定",
        answered_at=now,
    )
    async with app.state.intake.db.transaction() as session:
        await on_answered(session, event, envelope_of(event, time=now))


def _code(created: dict, code: str | None = None) -> dict[str, str]:
    return {"X-Query-Code": code or created["query_code"]}


async def _rate(client, created, rating="satisfied", code=None):
    url = f"/api/v1/petitions/{created['case_no']}/evaluation"
    return await client.post(url, json={"rating": rating}, headers=_code(created, code))


async def _ask(client, created, reason="处理意见与事实不符", code=None):
    url = f"/api/v1/petitions/{created['case_no']}/review-requests"
    return await client.post(url, json={"reason": reason}, headers=_code(created, code))


async def _state(app, case_no: str) -> tuple[str | None, int, int]:
    """The stored rating, the case's timeline entries and all outbox rows: what a refusal must
    leave as it was."""
    async with app.state.intake.db.reading() as session:
        petition = await session.get(Petition, case_no)
        steps = (
            await session.exec(
                select(func.count())
                .select_from(TimelineEntry)
                .where(TimelineEntry.case_no == case_no)
            )
        ).one()
        written = (await session.exec(select(func.count()).select_from(OutboxEvent))).one()
    assert petition is not None
    return petition.rating, steps, written


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.text
    [error] = response.json()["errors"]
    assert error["message"]["zh"] and error["message"]["en"]
    return error


async def test_an_answered_case_is_rated_over_json_and_petition_evaluated_is_emitted(
    client, app, events
):
    created = await _registered(client)
    await _answer(app, created["case_no"])

    response = await _rate(client, created, "basically_satisfied")

    assert response.status_code == 201
    body = response.json()
    assert body["case_no"] == created["case_no"] and body["rating"] == "basically_satisfied"
    evaluated = [d for t, d in await events() if t == "xinfang.petition.evaluated.v1"]
    assert [(e["case_no"], e["rating"]) for e in evaluated] == [
        (created["case_no"], "basically_satisfied")
    ]
    view = await client.get(f"/api/v1/petitions/{created['case_no']}", headers=_code(created))
    assert view.json()["can_rate"] is False
    assert view.json()["timeline"][-1]["event"] == "xinfang.petition.evaluated.v1"


async def test_a_case_without_an_answer_cannot_be_rated_and_nothing_is_stored(client, app):
    created = await _registered(client)
    before = await _state(app, created["case_no"])

    error = _error(await _rate(client, created), 409)

    assert error["code"] == "not_answered"
    assert await _state(app, created["case_no"]) == before


async def test_a_case_is_rated_only_once_over_json(client, app, events):
    created = await _registered(client)
    await _answer(app, created["case_no"])
    assert (await _rate(client, created, "satisfied")).status_code == 201
    before = await _state(app, created["case_no"])

    error = _error(await _rate(client, created, "dissatisfied"), 409)

    assert (error["code"], error["field"]) == ("already_rated", "rating")
    assert await _state(app, created["case_no"]) == before
    ratings = [d["rating"] for t, d in await events() if t.endswith("evaluated.v1")]
    assert ratings == ["satisfied"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rating": "happy"}, "rating"),
        ({}, "rating"),
        ({"rating": "satisfied", "stars": 5}, "stars"),
    ],
)
async def test_a_rating_out_of_its_three_values_is_refused_with_its_field(client, app, body, field):
    created = await _registered(client)
    await _answer(app, created["case_no"])
    before = await _state(app, created["case_no"])

    url = f"/api/v1/petitions/{created['case_no']}/evaluation"
    response = await client.post(url, json=body, headers=_code(created))

    assert _error(response, 422)["field"] == field
    assert await _state(app, created["case_no"]) == before


async def test_a_wrong_query_code_rates_nothing_and_counts_against_the_lookup_limit(
    client, app, clock
):
    created = await _registered(client)
    await _answer(app, created["case_no"])
    before = await _state(app, created["case_no"])

    wrong = [await _rate(client, created, code=f"GUESS{i:05d}") for i in range(5)]
    wrong += [await _ask(client, created, code=f"GUESS{i:05d}") for i in range(5)]
    assert {_error(r, 404)["code"] for r in wrong} == {"not_found"}
    assert _error(await _rate(client, created), 429)["code"] == "too_many_requests"
    assert await _state(app, created["case_no"]) == before

    clock.advance(timedelta(seconds=61))
    assert (await _rate(client, created)).status_code == 201


async def test_an_unknown_case_number_answers_like_a_wrong_code(client, app):
    created = await _registered(client)
    response = await _ask(client, {**created, "case_no": "XF20000101000001"})
    assert _error(response, 404)["code"] == "not_found"


async def test_review_is_asked_over_json_within_thirty_days_and_only_once(client, app, events):
    created = await _registered(client)
    await _answer(app, created["case_no"])
    view = await client.get(f"/api/v1/petitions/{created['case_no']}", headers=_code(created))
    assert view.json()["review_level"] == "review"

    response = await _ask(client, created)

    assert response.status_code == 201
    assert response.json()["level"] == "review"
    asked = [d for t, d in await events() if t == "xinfang.petition.review_requested.v1"]
    assert [(a["case_no"], a["level"], a["reason"]) for a in asked] == [
        (created["case_no"], "review", "处理意见与事实不符")
    ]
    before = await _state(app, created["case_no"])
    assert _error(await _ask(client, created), 409)["code"] == "review_already_requested"
    assert await _state(app, created["case_no"]) == before


async def test_after_the_review_decision_re_review_is_asked_and_after_it_nothing(client, app):
    created = await _registered(client)
    await _answer(app, created["case_no"], stage="review")
    assert (await _ask(client, created)).json()["level"] == "re_review"

    await _answer(app, created["case_no"], stage="re_review")
    before = await _state(app, created["case_no"])
    assert _error(await _ask(client, created), 409)["code"] == "no_further_review"
    assert await _state(app, created["case_no"]) == before


async def test_a_review_asked_after_the_window_or_before_any_answer_is_refused(client, app, clock):
    early = await _registered(client)
    assert _error(await _ask(client, early), 409)["code"] == "not_answered"

    late = await _registered(client)
    await _answer(app, late["case_no"])
    clock.advance(timedelta(days=30, seconds=1))
    before = await _state(app, late["case_no"])
    assert _error(await _ask(client, late), 409)["code"] == "review_window_closed"
    assert await _state(app, late["case_no"]) == before
    view = await client.get(f"/api/v1/petitions/{late['case_no']}", headers=_code(late))
    assert view.json()["review_level"] is None


async def test_a_review_request_needs_a_reason(client, app):
    created = await _registered(client)
    await _answer(app, created["case_no"])
    assert _error(await _ask(client, created, reason="x"), 422)["field"] == "reason"


async def test_the_openapi_describes_both_actions_with_their_answers(client):
    spec = (await client.get("/openapi.json")).json()
    for path, model in (
        ("/api/v1/petitions/{case_no}/evaluation", "EvaluationRecorded"),
        ("/api/v1/petitions/{case_no}/review-requests", "ReviewRequestRecorded"),
    ):
        operation = spec["paths"][path]["post"]
        assert operation["summary"]
        created = operation["responses"]["201"]["content"]["application/json"]["schema"]
        assert created["$ref"].endswith(model)
        assert {"404", "409", "422", "429"} <= set(operation["responses"])
