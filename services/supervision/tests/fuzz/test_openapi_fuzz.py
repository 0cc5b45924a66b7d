"""Schemathesis against supervision's OpenAPI, with every role's token and a case whose clocks run
(received, then routed) among the values tried."""

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

from xinfang.common.events import (
    Event,
    PetitionerRef,
    PetitionReceived,
    PetitionRouted,
    new_envelope,
)
from xinfang.common.testing.fuzz import Fuzzing
from xinfang.supervision import handlers
from xinfang.supervision.bootstrap import Supervision
from xinfang.supervision.domain import DeadlineKind
from xinfang.supervision.main import create_app
from xinfang.supervision.settings import SupervisionSettings

DEPARTMENT = "D330102001"


def a_case(case_no: str) -> list[Event]:
    now = datetime.now(UTC)
    received = PetitionReceived(
        case_no=case_no,
        channel="web",
        received_at=now - timedelta(days=2),
        region_code="330102",
        category_code="010100",
        title="小区噪音扰民",
        content="夜间施工噪音持续扰民，请有关部门处理。",
        petitioners=[PetitionerRef(ref="r" * 24, name_masked="张*")],
    )
    routed = PetitionRouted(
        case_no=case_no,
        department_code=DEPARTMENT,
        department_name="区住房和城乡建设局",
        rule="category:010100",
        reason="噪音扰民由属地住建部门负责",
        routed_at=now - timedelta(days=1),
    )
    return [received, routed]


async def apply(supervision: Supervision, events: list[Event]) -> None:
    table = handlers.event_handlers(ctx=supervision.ctx)
    for event in events:
        envelope = new_envelope(event, source="/fuzz", time=datetime.now(UTC))
        async with supervision.db.transaction() as session:
            await table[envelope.type](session, event, envelope)


def test_every_operation_answers_every_role_within_its_documented_schema(
    database_url: str, nats_url: str, tmp_path: Path
) -> None:
    settings = SupervisionSettings(
        database_url=database_url,
        nats_url=nats_url,
        environment="test",
        calendar_dir=tmp_path,
    )
    case_no = f"XF20261122{secrets.randbelow(10**6):06d}"
    with Fuzzing(create_app(settings)) as fuzz:
        fuzz.run(apply, fuzz.app.state.supervision, a_case(case_no))
        known = {
            "case_no": [case_no],
            "kind": [k.value for k in DeadlineKind],
            "name": ["backlog", "overdue", "orders"],
            "fmt": ["csv", "xlsx"],
            "department": [DEPARTMENT],
        }
        failures = fuzz.every_operation(callers=fuzz.callers(department=DEPARTMENT), known=known)
    print(fuzz.summary())
    assert not failures, "\n\n".join(failures)
    assert fuzz.answered[("GET /api/v1/cases/{case_no}/deadlines", 200)] > 0
