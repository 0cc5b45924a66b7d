"""On a real nats-server: a case answered by another service's event is rated and its review
asked for over JSON, and `petition.evaluated` and `petition.review_requested` reach JetStream."""

import json

from xinfang.common.events import CaseAnswered, Envelope
from xinfang.common.testing.builders import envelope_of, eventually, publish
from xinfang.intake.testing import a_full_petition


async def _next_for(sub, case_no: str) -> Envelope:
    async def mine():
        msg = await sub.next_msg(timeout=5)
        return msg if json.loads(msg.data)["subject"] == case_no else None

    msg = await eventually(mine)
    assert msg.headers["Nats-Msg-Id"] == json.loads(msg.data)["id"]
    return Envelope.model_validate_json(msg.data)


async def test_rating_and_review_over_json_are_published_once_answered_by_event(running):
    app, client, nc = running
    evaluated = await nc.subscribe("xinfang.petition.evaluated")
    asked = await nc.subscribe("xinfang.petition.review_requested")
    created = (await client.post("/api/v1/petitions", json=a_full_petition())).json()
    case_no, code = created["case_no"], {"X-Query-Code": created["query_code"]}
    url = f"/api/v1/petitions/{case_no}"
    refused = await client.post(f"{url}/evaluation", json={"rating": "satisfied"}, headers=code)
    assert refused.status_code == 409 and refused.json()["errors"][0]["code"] == "not_answered"

    now = app.state.intake.clock.now()
    answer = CaseAnswered(
        case_no=case_no,
        department_code="C_HRSS",
        outcome="supported",
        summary="责令限期支付",
        legal_basis="《劳动合同法》第三十条",
        answered_at=now,
    )
    await publish(nc.jetstream(), envelope_of(answer, time=now))

    async def answered():
        return (await client.get(url, headers=code)).json()["can_rate"]

    await eventually(answered)
    rated = await client.post(f"{url}/evaluation", json={"rating": "satisfied"}, headers=code)
    review = await client.post(f"{url}/review-requests", json={"reason": "赔偿不足"}, headers=code)
    assert (rated.status_code, review.status_code) == (201, 201)

    rating = await _next_for(evaluated, case_no)
    assert rating.type == "xinfang.petition.evaluated.v1" and rating.data["rating"] == "satisfied"
    request = await _next_for(asked, case_no)
    assert request.data["level"] == "review" and request.data["reason"] == "赔偿不足"
