"""The outbox's envelope JSON is the one pydantic would write; event ids are version 4 UUIDs."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from xinfang.common.events import (
    AlertRaised,
    CaseStatusChanged,
    DeadlineMissed,
    DeadlineScheduled,
    DeadlineWarned,
    Envelope,
    Event,
    SupervisionOrderIssued,
    envelope_json,
    parse_event,
)
from xinfang.common.events.envelope import event_ids

NOW = datetime(2026, 3, 16, 2, 0, 0, 123456, tzinfo=UTC)

EVENTS: list[Event] = [
    DeadlineScheduled(
        case_no="XF20260316000001",
        kind="routing",
        starts_on=date(2026, 9, 16),
        due_on=date(2026, 10, 8),
        basis='《信访工作条例》第二十二条：15日（起算日不计入）；"国庆节"\\顺延。Art. 22.',
    ),
    DeadlineWarned(case_no="XF1", kind="handling", due_on=date(2026, 5, 6), level="half"),
    DeadlineMissed(case_no="XF1", kind="handling", due_on=date(2026, 5, 6), department_code="D1"),
    SupervisionOrderIssued(
        case_no="XF1",
        order_id="DB0123",
        department_code="C_HOUSING",
        reason="办理超期\n请说明\t情况",
        feedback_due_on=date(2026, 5, 22),
        deadline_kind="handling",
    ),
    CaseStatusChanged(
        case_no="XF1", status="reviewing", status_zh="受理申请审查中", changed_at=NOW
    ),
    AlertRaised(alert_id="AL1", kind="calendar", summary="2027年节假日安排未加载", raised_at=NOW),
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.TYPE)
@pytest.mark.parametrize("traceparent", [None, "00-" + "a" * 32 + "-" + "b" * 16 + "-01"])
@pytest.mark.parametrize(
    "time", [NOW, NOW.replace(microsecond=0), NOW.astimezone(timezone(timedelta(hours=8)))]
)
def test_an_envelope_is_written_as_pydantic_would_write_it(
    event: Event, traceparent: str | None, time: datetime
) -> None:
    event_id = str(uuid.uuid4())
    expected = Envelope(
        id=event_id,
        source='/xinfang/supervision"2',
        type=event.TYPE,
        subject=event.case_no,
        time=time,
        traceparent=traceparent,
        data=event.model_dump(mode="json"),
    )

    text = envelope_json(
        event,
        event_id=event_id,
        source='/xinfang/supervision"2',
        time=time,
        traceparent=traceparent,
    )

    assert text == expected.model_dump_json()
    assert parse_event(Envelope.model_validate_json(text)) == event


def test_event_ids_are_random_version_4_uuids_that_do_not_repeat() -> None:
    ids = event_ids(per_read=8)
    made = [next(ids) for _ in range(1000)]

    assert len(set(made)) == len(made)
    for text in made:
        parsed = uuid.UUID(text)
        assert (str(parsed), parsed.version, parsed.variant) == (text, 4, uuid.RFC_4122)
