"""The dispatcher: sends each due notice once, retries with back-off, gives up in the end."""

from __future__ import annotations

import json
from datetime import timedelta

from xinfang.common.events import NoticeDelivered, NoticeFailed
from xinfang.notify import handlers, repository
from xinfang.notify.dispatcher import Dispatcher


async def by_email(outbox, event_type):
    """Outcome events of e-mail notices (each case also has an in-portal notice, delivered)."""
    rows = await outbox(event_type)
    return [r for r in rows if json.loads(r.payload)["data"]["channel"] != "portal"]


async def a_routed_case(apply, petitions, *people) -> str:
    case_no = petitions.case_no()
    await apply(petitions.received(case_no, *people))
    await apply(petitions.routed(case_no))
    return case_no


async def the_notice(notify, case_no):
    """The one notice to the petitioner (the in-portal copy aside)."""
    async with notify.db.reading() as session:
        notices = await repository.notices_of_case(session, case_no=case_no)
    [notice] = [n for n in notices if n.audience == "petitioner"]
    return notice


async def test_a_due_notice_is_rendered_for_its_recipient_and_sent_once(
    notify, apply, petitions, channel, outbox
) -> None:
    case_no = await a_routed_case(apply, petitions)

    assert await notify.dispatcher.run_once() == 1
    assert await notify.dispatcher.run_once() == 0

    [message] = channel.sent
    assert message.recipient == "zhang.sanfeng@example.cn"
    assert message.subject == f"【江宁市信访局】信访事项登记告知（{case_no}）"
    assert "张三丰：" in message.body and "QRSTUV2345" in message.body
    [row] = await by_email(outbox, NoticeDelivered.TYPE)
    delivered = json.loads(row.payload)["data"]
    assert (delivered["case_no"], delivered["recipient_masked"]) == (case_no, "z***@example.cn")
    assert "zhang.sanfeng" not in row.payload


async def test_a_notice_that_fails_twice_then_succeeds_is_delivered_once(
    notify, apply, petitions, channel, clock, outbox
) -> None:
    case_no = await a_routed_case(apply, petitions)
    channel.fail_next(2)

    await notify.dispatcher.run_once()  # fails: next try in 1 s
    clock.advance(timedelta(seconds=1))
    await notify.dispatcher.run_once()  # fails: next try in 2 s
    clock.advance(timedelta(seconds=2))
    await notify.dispatcher.run_once()

    notice = await the_notice(notify, case_no)
    assert (notice.status, notice.attempts, notice.delivered_at) == ("delivered", 3, clock.now())
    assert notice.last_error == "fake_failure: told to fail"
    assert (channel.tries, len(channel.sent)) == (3, 1)
    assert len(await by_email(outbox, NoticeDelivered.TYPE)) == 1
    assert await by_email(outbox, NoticeFailed.TYPE) == []


async def test_a_failed_notice_is_not_tried_again_before_its_back_off_has_passed(
    notify, apply, petitions, channel, clock
) -> None:
    case_no = await a_routed_case(apply, petitions)
    channel.fail_next(1)
    await notify.dispatcher.run_once()

    clock.advance(timedelta(milliseconds=999))
    assert await notify.dispatcher.run_once() == 0

    notice = await the_notice(notify, case_no)
    assert (notice.status, notice.attempts, channel.tries) == ("pending", 1, 1)
    assert notice.next_attempt_at == clock.now() + timedelta(milliseconds=1)


async def test_a_notice_failing_on_every_channel_is_given_up_with_one_event(
    notify, apply, petitions, channel, fakes, clock, outbox
) -> None:
    case_no = await a_routed_case(apply, petitions)
    channel.fail_next(1_000)
    fakes["letter"].fail_next(1_000)

    for _ in range(20):
        await notify.dispatcher.run_once()
        clock.advance(timedelta(minutes=5))

    notice = await the_notice(notify, case_no)
    max_attempts = notify.settings.max_attempts
    assert (notice.status, notice.channel, notice.attempts) == (
        "failed",
        "letter",
        2 * max_attempts,
    )
    assert channel.tries == fakes["letter"].tries == max_attempts == 6
    [row] = await by_email(outbox, NoticeFailed.TYPE)
    failed = json.loads(row.payload)["data"]
    assert (failed["reason"], failed["attempts"], failed["channel"]) == (
        "fake_failure",
        12,
        "letter",
    )
    assert failed["recipient_masked"] == "z***@example.cn"
    assert await by_email(outbox, NoticeDelivered.TYPE) == []


async def test_an_address_the_channel_refuses_for_good_falls_back_to_a_letter_at_once(
    notify, apply, petitions, channel, fakes, outbox
) -> None:
    case_no = await a_routed_case(apply, petitions)
    channel.fail_next(1, permanent=True)

    await notify.dispatcher.run_once()
    await notify.dispatcher.run_once()

    notice = await the_notice(notify, case_no)
    assert (notice.status, notice.channel, notice.attempts) == ("delivered", "letter", 2)
    assert channel.tries == 1 and len(fakes["letter"].sent) == 1
    [row] = await by_email(outbox, NoticeDelivered.TYPE)
    assert json.loads(row.payload)["data"]["recipient_masked"] == "letter:张*丰"


async def test_a_notice_leased_by_one_instance_is_not_sent_by_another_until_the_lease_ends(
    notify, apply, petitions, channel, clock
) -> None:
    await a_routed_case(apply, petitions)
    other_instance = Dispatcher(notify)

    [claimed] = await handlers.claim_due_notices(notify)  # taken, then this instance stalls

    assert await other_instance.run_once() == 0
    clock.advance(timedelta(seconds=notify.settings.lease_seconds + 1))
    assert await other_instance.run_once() == 1
    assert [m.notice_id for m in channel.sent] == [claimed]


async def test_a_late_outcome_for_a_notice_settled_meanwhile_changes_nothing(
    notify, apply, petitions, outbox
) -> None:
    case_no = await a_routed_case(apply, petitions)
    await notify.dispatcher.run_once()
    notice = await the_notice(notify, case_no)

    assert await handlers.record_delivery(notify, notice_id=notice.id) is None
    assert len(await by_email(outbox, NoticeDelivered.TYPE)) == 1


async def test_the_metrics_count_deliveries_by_result_and_show_the_queue(
    notify, apply, petitions, channel, clock
) -> None:
    await a_routed_case(apply, petitions)
    await a_routed_case(apply, petitions)
    channel.fail_next(1)

    await notify.dispatcher.run_once()

    sample = notify.metrics.registry.get_sample_value
    assert sample("xinfang_notify_deliveries_total", {"channel": "email", "result": "retry"}) == 1
    assert (
        sample("xinfang_notify_deliveries_total", {"channel": "email", "result": "delivered"}) == 1
    )
    assert sample("xinfang_notify_queue_depth") == 1
    assert sample("xinfang_notify_delivery_latency_seconds_count", {"channel": "email"}) == 1


async def test_a_round_sends_up_to_fifty_due_notices_and_leaves_the_rest_for_the_next(
    notify, petitions, channel
) -> None:
    [subscription] = notify.runtime.subscriptions
    async with notify.db.transaction() as session:  # one consumer batch of 60 routed cases
        for _ in range(60):
            case_no = petitions.case_no()
            for event in (petitions.received(case_no), petitions.routed(case_no)):
                await subscription.handlers[event.TYPE](session, event, petitions.envelope(event))

    assert await notify.dispatcher.run_once() == 50  # one SMTP connection, one commit
    assert await notify.dispatcher.run_once() == 10
    assert len({m.notice_id for m in channel.sent}) == len(channel.sent) == 60
