"""No personal data in clear: every event published, every log line and every payload a
department or the public sees carries pseudonymous references and masked fields only."""

import asyncio
import contextlib
import io
import json
import logging

import pytest
import structlog

from xinfang.common.auth import Role, issue_token
from xinfang.common.logging import configure_logging
from xinfang.common.testing.builders import a_petition_routed, envelope_of, eventually, publish
from xinfang.intake.testing import a_full_petition, a_petitioner, a_resident_id

SECOND_ID = a_resident_id("36990219751212003")
CLEAR = [
    "张三丰",
    a_resident_id(),
    "13800138000",
    "解放路1号",
    "zhang@example.cn",
    "欧阳娜娜",
    SECOND_ID,
    "13912340000",
    "港城街道88号",
    "nana@example.cn",
    "李科长",
]


def _petitions() -> list[dict]:
    second = a_petitioner(
        name="欧阳娜娜",
        id_type="resident_id",
        id_number=SECOND_ID,
        phone="13912340000",
        address="新港区港城街道88号",
        email="nana@example.cn",
    )
    return [
        a_full_petition(
            petitioners=[a_full_petition()["petitioners"][0], second],
            matter_type="accusation",
            accused={"kind": "person", "person_name": "李科长", "unit_name": "某街道办"},
        ),
        a_full_petition(flags={"court_related": True}),  # refused: a second kind of event
    ]


@pytest.fixture
def json_logs():
    """Logging as the service configures it, put back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    lines = io.StringIO()
    with contextlib.redirect_stdout(lines):  # the service's log stream, captured
        configure_logging(service="intake", level="DEBUG", json=True)
    yield lines
    root.handlers, root.level = handlers, level
    structlog.reset_defaults()


async def test_no_event_log_line_or_outward_payload_shows_personal_data(running, json_logs):
    app, client, nc = running
    published: list[bytes] = []

    async def keep(msg):
        published.append(msg.data)

    await nc.subscribe("xinfang.>", cb=keep)
    created = [(await client.post("/api/v1/petitions", json=p)).json() for p in _petitions()]
    await eventually(lambda: _count(published, 3))
    routed = envelope_of(a_petition_routed(case_no=created[0]["case_no"]))
    await publish(nc.jetstream(), routed)
    view = await eventually(lambda: _routed_view(client, created[0]))
    token = issue_token(secret=app.state.jwt_secret, sub="clerk", roles=[Role.CLERK], now=_now())
    identity = await client.get(
        f"/api/v1/petitions/{created[0]['case_no']}/identity",
        params={"reason": "电话回访核实身份"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert "张三丰" in identity.text  # the one place it may appear
    logging.getLogger("xinfang").info("flush")
    await asyncio.sleep(0.1)

    logs = json_logs.getvalue()
    assert "petition_registered" in logs
    outward = {
        "events": "\n".join(p.decode() for p in published),
        "logs": logs,
        "case view": json.dumps(view, ensure_ascii=False),
    }
    for where, text in outward.items():
        for clear in CLEAR:
            assert clear not in text, f"{clear} in clear in {where}"


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


async def _count(published: list[bytes], at_least: int) -> bool:
    return len(published) >= at_least


async def _routed_view(client, created) -> dict | None:
    response = await client.get(
        f"/api/v1/petitions/{created['case_no']}", headers={"X-Query-Code": created["query_code"]}
    )
    view = response.json()
    return view if view["status"] == "routed" else None
