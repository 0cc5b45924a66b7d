"""A petition's way through the four services: registered, routed, deadlined, notified."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import nats
import pytest
from harness import System
from nats.js.api import StorageType
from petitions import (
    AFTER_ROUTING,
    DEADLINE_KINDS,
    RECEIVED,
    ROUTED,
    Api,
    a_petition,
    serial_of,
)

pytestmark = pytest.mark.e2e

FLOW_TIMEOUT_SECONDS = 30.0


@pytest.fixture(scope="module")
def system(system_on_each_database: System) -> System:
    """This module's tests run on SQLite and again on PostgreSQL (when CI names a server)."""
    return system_on_each_database


async def test_twenty_petitions_are_each_routed_deadlined_and_notified_once(system: System) -> None:
    async with Api(system) as api:
        petitions = await api.varied_petitions(20)
        cases = [await api.register(petition) for petition in petitions]
        await api.wait_for_effects(cases, within=FLOW_TIMEOUT_SECONDS)
        await asyncio.sleep(1)  # a duplicate would come late
        effects = {case.case_no: await api.effects(case) for case in cases}
        assignments = {case.case_no: await api.assignment(case.case_no) for case in cases}
        notices = {case.case_no: await api.notices(case.case_no) for case in cases}
    for case in cases:
        found = effects[case.case_no]
        assert found.status in AFTER_ROUTING, found.status
        assert once_each(found.deadline_kinds), f"supervision: {found.deadline_kinds}"
        assert once_each(found.timeline_deadline_kinds), f"intake: {found.timeline_deadline_kinds}"
        assert found.count(RECEIVED) == 1, found.timeline
        assert found.count(ROUTED) == 1, found.timeline
        assert found.timeline_email_deliveries == 1, found.entries
        assignment = assignments[case.case_no]
        assert assignment and assignment["rule"] and assignment["reason"], assignment
        assert found.department in json.dumps(assignment, ensure_ascii=False), assignment
        assert len(found.mails) == 1, [m.message_id for m in found.mails]
        mail = found.mails[0]
        [notice] = notices[case.case_no]
        assert notice["status"] == "delivered" and notice["notice_type"] == "registration"
        assert mail.message_id == f"<notice-{notice['id']}@xinfang.notify>"
        assert mail.rcpt_tos == [case.petition["petitioners"][0]["email"]]
        text = mail.subject + "\n" + mail.text
        for expected in (case.case_no, found.department, case.query_code):
            assert expected and expected in text, f"{expected!r} not in the e-mail:\n{text}"


def once_each(kinds: list[str]) -> bool:
    """Both clocks of a routed petition are there, and no clock was started twice."""
    return set(DEADLINE_KINDS) <= set(kinds) and len(kinds) == len(set(kinds))


def without(petition: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in petition.items() if k != key}


BAD_PETITIONS = [
    pytest.param(without(a_petition(1), "title"), "title", "missing", id="missing-title"),
    pytest.param(
        a_petition(2, petitioners="张三"), "petitioners", "list_type", id="petitioners-not-a-list"
    ),
    pytest.param(
        a_petition(3, category_code="999999"),
        "category_code",
        "unknown_category",
        id="unknown-category",
    ),
]


def chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize(("petition", "field", "code"), BAD_PETITIONS)
async def test_a_bad_petition_is_refused_with_its_field_and_reason_and_stores_nothing(
    system: System, petition: dict[str, Any], field: str, code: str
) -> None:
    async with Api(system) as api:
        before = await api.register(a_petition(10))
        response = await api.post(petition)
        after = await api.register(a_petition(11))
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    error = next((e for e in errors if e["field"] == field), None)
    assert error is not None, errors
    assert error["code"] == code
    assert chinese(error["message"]["zh"]) and error["message"]["en"], error
    assert_consecutive(before.case_no, after.case_no)


async def test_a_body_over_one_megabyte_is_refused_with_413_and_stores_nothing(
    system: System,
) -> None:
    huge = a_petition(12, content="信" * 400_000)  # 1.2 MB in UTF-8
    async with Api(system) as api:
        before = await api.register(a_petition(13))
        response = await api.post(huge)
        after = await api.register(a_petition(14))
    assert response.status_code == 413, response.text
    [error] = response.json()["errors"]
    assert error["code"] == "payload_too_large"
    assert chinese(error["message"]["zh"]) and error["message"]["en"], error
    assert_consecutive(before.case_no, after.case_no)


def assert_consecutive(before: str, after: str) -> None:
    """The second case number follows directly on the first: nothing was stored in between."""
    (day_before, serial_before), (day_after, serial_after) = serial_of(before), serial_of(after)
    expected = serial_before + 1 if day_after == day_before else 1
    assert serial_after == expected, f"{after} does not follow {before}"


async def test_a_malformed_event_is_dead_lettered_by_routing_and_the_next_petition_flows(
    system: System,
) -> None:
    marker = f"malformed-{uuid.uuid4()}"
    payload = f'{{"specversion": "1.0", "id": "{marker}", "type": "{RECEIVED}", "data": {{'
    connection = await nats.connect(system.nats.url)
    try:
        await connection.jetstream().publish(
            "xinfang.petition.received", payload.encode(), headers={"Nats-Msg-Id": marker}
        )
    finally:
        await connection.close()
    async with Api(system) as api:
        letter = await wait_for_dead_letter(api, marker)
        case = await api.register(a_petition(15, category_code="070000"))
        await api.wait_for_effects([case], within=FLOW_TIMEOUT_SECONDS)
    assert letter["consumer"].startswith("routing"), letter
    assert letter["subject"] == "xinfang.petition.received"


async def wait_for_dead_letter(api: Api, marker: str) -> dict[str, Any]:
    for _ in range(40):
        for letter in await api.dead_letters("routing"):
            if marker in letter["payload"] or letter["event_id"] == marker:
                return letter
        await asyncio.sleep(0.5)
    raise AssertionError(f"routing never dead-lettered {marker}\n{api.system.explain('routing')}")


async def test_every_service_serves_prometheus_metrics(system: System) -> None:
    async with httpx.AsyncClient() as client:
        for name in system.ports:
            response = await client.get(f"{system.url(name)}/metrics")
            assert response.status_code == 200, name
            assert f"xinfang_{name}_" in response.text, name


async def test_all_events_share_one_file_backed_stream_on_the_test_server(system: System) -> None:
    connection = await nats.connect(system.nats.url)
    try:
        info = await connection.jetstream().stream_info("XINFANG")
    finally:
        await connection.close()
    assert info.config.subjects == ["xinfang.>"]
    assert info.config.storage == StorageType.FILE  # nats-py leaves it a plain "file" string
    assert system.nats.port != 4222
