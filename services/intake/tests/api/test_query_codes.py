"""Query codes: stored only as a hash, and lookups rate-limited per client so they cannot be
guessed."""

from datetime import timedelta

from sqlmodel import select

from xinfang.intake.models import Petition
from xinfang.intake.testing import a_petition


async def test_the_query_code_is_stored_only_as_a_keyed_hash(client, app):
    created = (await client.post("/api/v1/petitions", json=a_petition())).json()
    async with app.state.intake.db.reading() as session:
        petition = (await session.exec(select(Petition))).one()
    assert created["query_code"] not in petition.model_dump_json()


async def test_after_ten_failed_lookups_a_minute_a_client_is_refused_with_429(client, app, clock):
    created = (await client.post("/api/v1/petitions", json=a_petition())).json()
    url = f"/api/v1/petitions/{created['case_no']}"
    guesses = [await client.get(url, headers={"X-Query-Code": f"GUESS{i:05d}"}) for i in range(10)]
    assert {r.status_code for r in guesses} == {404}

    limited = await client.get(url, headers={"X-Query-Code": created["query_code"]})
    assert limited.status_code == 429
    error = limited.json()["errors"][0]
    assert error["code"] == "too_many_requests" and error["message"]["zh"]
    metrics = (await client.get("/metrics")).text
    assert 'xinfang_intake_query_lookups_total{result="rate_limited"} 1.0' in metrics
    assert 'xinfang_intake_query_lookups_total{result="not_found"} 10.0' in metrics

    clock.advance(timedelta(seconds=61))
    again = await client.get(url, headers={"X-Query-Code": created["query_code"]})
    assert again.status_code == 200


async def test_a_petitioner_following_a_case_with_its_code_is_never_limited(client):
    created = (await client.post("/api/v1/petitions", json=a_petition())).json()
    url = f"/api/v1/petitions/{created['case_no']}"
    lookups = [
        await client.get(url, headers={"X-Query-Code": created["query_code"]}) for _ in range(30)
    ]
    assert {r.status_code for r in lookups} == {200}
