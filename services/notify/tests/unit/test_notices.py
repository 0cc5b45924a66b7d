"""Which notices a case's steps make: one per recipient and step, however often they arrive."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from xinfang.common.events import NoticeFailed
from xinfang.notify import repository
from xinfang.notify.domain import CaseNotReceived


async def notices(notify, case_no, audience="petitioner"):
    async with notify.db.reading() as session:
        made = await repository.notices_of_case(session, case_no=case_no)
    return [n for n in made if n.audience == audience]


async def test_a_routed_case_gets_one_pending_registration_notice_per_petitioner(
    notify, apply, petitions
) -> None:
    case_no = petitions.case_no()
    other = petitions.person(name="李四", email="li.si@example.cn")
    await apply(petitions.received(case_no, petitions.person(), other))

    await apply(petitions.routed(case_no))

    made = await notices(notify, case_no)
    assert sorted(n.recipient_masked for n in made) == ["l***@example.cn", "z***@example.cn"]
    assert {(n.notice_type, n.status, n.channel, n.attempts) for n in made} == {
        ("registration", "pending", "email", 0)
    }
    assert json.loads(made[0].facts)["department_name"] == "江宁区住房和城乡建设局"


async def test_a_routed_event_delivered_again_under_a_new_id_makes_no_second_notice(
    notify, apply, petitions
) -> None:
    case_no = petitions.case_no()
    await apply(petitions.received(case_no))
    routed = petitions.routed(case_no)

    await apply(routed)
    await apply(routed)  # a new envelope each time: another id, the same step

    assert len(await notices(notify, case_no)) == 1


async def test_a_case_routed_again_to_another_department_tells_the_petitioner_again(
    notify, apply, petitions
) -> None:
    case_no = petitions.case_no()
    await apply(petitions.received(case_no))

    await apply(petitions.routed(case_no))
    await apply(petitions.routed(case_no, department_code="320115-SWJ", department_name="水务局"))

    assert len(await notices(notify, case_no)) == 2


async def test_a_case_routed_before_notify_saw_it_received_is_left_for_a_retry(
    notify, apply, petitions
) -> None:
    case_no = petitions.case_no()

    with pytest.raises(CaseNotReceived):
        await apply(petitions.routed(case_no))

    assert await notices(notify, case_no) == []


async def test_a_petitioner_without_email_is_written_to_by_letter(
    notify, apply, petitions, outbox
) -> None:
    case_no = petitions.case_no()
    await apply(petitions.received(case_no, petitions.person(email=None)))

    await apply(petitions.routed(case_no))

    [notice] = await notices(notify, case_no)
    assert (notice.status, notice.channel, notice.chain) == ("pending", "letter", "letter")
    assert notice.recipient_masked == "letter:张*丰"
    assert await outbox(NoticeFailed.TYPE) == []


async def test_petitioners_sharing_one_address_get_one_notice(notify, apply, petitions) -> None:
    case_no = petitions.case_no()
    wife = petitions.person(name="王芳", email=" Zhang.Sanfeng@Example.cn ")
    await apply(petitions.received(case_no, petitions.person(), wife))

    await apply(petitions.routed(case_no))

    assert len(await notices(notify, case_no)) == 1


async def test_an_anonymous_case_without_contact_details_gets_no_notice(
    notify, apply, petitions
) -> None:
    case_no = petitions.case_no()
    await apply(petitions.received(case_no, contact_sealed=None))

    await apply(petitions.routed(case_no))

    assert await notices(notify, case_no) == []


async def test_neither_the_address_nor_the_name_is_stored_in_clear(
    notify, apply, petitions
) -> None:
    case_no = petitions.case_no()
    await apply(petitions.received(case_no))
    await apply(petitions.routed(case_no))

    rows = []
    async with notify.db.reading() as session:
        for table in ("notice", "notice_case"):
            rows += (await session.exec(text(f"SELECT * FROM {table}"))).all()
    dump = " ".join(str(value) for row in rows for value in row)
    assert case_no in dump
    assert "zhang.sanfeng" not in dump.lower()
    assert "张三丰" not in dump
    assert "QRSTUV2345" not in dump


async def test_a_new_notice_wakes_the_dispatcher_once_it_is_committed(
    notify, apply, petitions
) -> None:
    case_no = petitions.case_no()
    await apply(petitions.received(case_no))
    assert not notify.wakeup.is_set()

    await apply(petitions.routed(case_no))

    assert notify.wakeup.is_set()


async def test_a_step_that_rolls_back_wakes_nobody(notify, petitions) -> None:
    case_no = petitions.case_no()
    [subscription] = notify.runtime.subscriptions
    received, routed = petitions.received(case_no), petitions.routed(case_no)

    with pytest.raises(RuntimeError):
        async with notify.db.transaction() as session:
            for event in (received, routed):
                await subscription.handlers[event.TYPE](session, event, petitions.envelope(event))
            raise RuntimeError("the batch failed further on")

    assert not notify.wakeup.is_set()
    assert await notices(notify, case_no) == []


async def test_a_case_received_and_routed_in_one_batch_gets_its_notice(notify, petitions) -> None:
    case_no = petitions.case_no()
    [subscription] = notify.runtime.subscriptions

    async with notify.db.transaction() as session:  # the consumer applies a batch in one go
        for event in (petitions.received(case_no), petitions.routed(case_no)):
            await subscription.handlers[event.TYPE](session, event, petitions.envelope(event))

    assert len(await notices(notify, case_no)) == 1


async def test_one_batch_routing_a_new_case_twice_keeps_both_departments_and_each_step_once(
    notify, petitions
) -> None:
    case_no = petitions.case_no()
    [subscription] = notify.runtime.subscriptions
    first = petitions.routed(case_no)
    second = petitions.routed(case_no, department_code="320115-SWJ", department_name="水务局")

    async with notify.db.transaction() as session:  # the rows are written only at commit
        for event in (petitions.received(case_no), first, first, second):
            await subscription.handlers[event.TYPE](session, event, petitions.envelope(event))

    assert sorted(n.step for n in await notices(notify, case_no)) == [
        "routed:320115-SWJ",
        "routed:320115-ZJJ",
    ]
    async with notify.db.reading() as session:
        case = await repository.get_case(session, case_no=case_no)
    assert case is not None
    assert json.loads(case.department_names) == {
        "320115-ZJJ": "江宁区住房和城乡建设局",
        "320115-SWJ": "水务局",
    }


async def test_a_second_batch_routing_a_stored_case_adds_its_department_name(
    notify, apply, petitions
) -> None:
    case_no = petitions.case_no()
    await apply(petitions.received(case_no))
    await apply(petitions.routed(case_no))

    await apply(petitions.routed(case_no, department_code="320115-SWJ", department_name="水务局"))

    async with notify.db.reading() as session:
        case = await repository.get_case(session, case_no=case_no)
    assert case is not None
    assert set(json.loads(case.department_names)) == {"320115-ZJJ", "320115-SWJ"}
