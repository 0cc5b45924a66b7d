"""Schemathesis against notify's OpenAPI, with every role's token and a case whose notices went
out (by e-mail to a real SMTP server, and as a printed letter) among the values tried."""

from pathlib import Path
from typing import Any

from sqlmodel import select

from xinfang.common.testing.fuzz import Fuzzing
from xinfang.notify.main import create_app
from xinfang.notify.models import Notice
from xinfang.notify.settings import NotifySettings


async def notices_of_a_case(notify: Any, petitions: Any) -> list[str]:
    """A petition received and routed, its notices dispatched; their ids."""
    [subscription] = notify.runtime.subscriptions
    case_no = petitions.case_no()
    for event in (petitions.received(case_no), petitions.routed(case_no)):
        async with notify.db.transaction() as session:
            await subscription.handlers[event.TYPE](session, event, petitions.envelope(event))
    await notify.dispatcher.run_once()
    async with notify.db.reading() as session:
        notices = (await session.exec(select(Notice).where(Notice.case_no == case_no))).all()
    return [case_no, *(n.id for n in notices)]


def test_every_operation_answers_every_role_within_its_documented_schema(
    database_url: str, nats_url: str, smtp_server: Any, petitions: Any, tmp_path: Path
) -> None:
    settings = NotifySettings(
        database_url=database_url,
        nats_url=nats_url,
        environment="test",
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        letters_dir=str(tmp_path / "letters"),
    )
    with Fuzzing(create_app(settings)) as fuzz:
        case_no, *notice_ids = fuzz.run(notices_of_a_case, fuzz.app.state.notify, petitions)
        known = {"case_no": [case_no], "notice_id": notice_ids}
        failures = fuzz.every_operation(callers=fuzz.callers(), known=known)
    print(fuzz.summary())
    assert not failures, "\n\n".join(failures)
    assert fuzz.answered[("GET /api/v1/cases/{case_no}/notices", 200)] > 0
