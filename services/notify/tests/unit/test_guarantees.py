"""Delivery guarantees, with the manual clock: a circuit breaker per channel, quiet hours for SMS,
the petitioner's preferred channel with fallback, and dead letters an operator can re-send."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from xinfang.common.clock import CHINA_TZ
from xinfang.common.events import NoticeDelivered, NoticeFailed
from xinfang.notify import handlers, repository


async def a_routed_case(apply, petitions, *people) -> str:
    case_no = petitions.case_no()
    await apply(petitions.received(case_no, *people))
    await apply(petitions.routed(case_no))
    return case_no


async def the_notice(notify, case_no):
    async with notify.db.reading() as session:
        notices = await repository.notices_of_case(session, case_no=case_no)
    [notice] = [n for n in notices if n.audience == "petitioner"]
    return notice


async def history(notify, notice_id) -> list[tuple[str, str]]:
    async with notify.db.reading() as session:
        attempts = await repository.attempts_of(session, notice_ids=[notice_id])
    return [(a.channel, a.result) for a in attempts[notice_id]]


def state(notify, channel: str) -> float | None:
    return notify.metrics.registry.get_sample_value(
        "xinfang_notify_circuit_state", {"channel": channel}
    )


# --- circuit breaker ------------------------------------------------------------------------


async def test_a_channel_failing_again_and_again_is_paused_without_holding_up_the_others(
    notify, apply, petitions, channel, fakes, clock
) -> None:
    emailed = [await a_routed_case(apply, petitions) for _ in range(5)]
    channel.fail_next(1_000)
    await notify.dispatcher.run_once()  # five failures in a row: the e-mail circuit opens
    assert channel.tries == 5 and state(notify, "email") == 2

    texted = await a_routed_case(apply, petitions, petitions.person(preferred_channel="sms"))
    clock.advance(timedelta(seconds=10))  # the retries are due, but the circuit is open
    await notify.dispatcher.run_once()

    assert channel.tries == 5
    assert (await the_notice(notify, texted)).status == "delivered"
    assert len(fakes["sms"].sent) == 1
    assert {(await the_notice(notify, c)).attempts for c in emailed} == {1}


async def test_after_the_cool_down_one_trial_closes_the_circuit_and_the_queue_flows_again(
    notify, apply, petitions, channel, clock
) -> None:
    cases = [await a_routed_case(apply, petitions) for _ in range(5)]
    channel.fail_next(1_000)
    await notify.dispatcher.run_once()
    channel.fail_next(0)  # the mail server is back

    clock.advance(timedelta(seconds=notify.settings.breaker_cooldown_seconds - 1))
    await notify.dispatcher.run_once()
    assert channel.tries == 5  # still cooling down
    clock.advance(timedelta(seconds=1))
    await notify.dispatcher.run_once()  # half-open: the trial succeeds and closes the circuit
    await notify.dispatcher.run_once()

    assert {(await the_notice(notify, c)).status for c in cases} == {"delivered"}
    assert state(notify, "email") == 0


async def test_a_failed_trial_opens_the_circuit_for_another_cool_down(
    notify, apply, petitions, channel, clock
) -> None:
    for _ in range(5):
        await a_routed_case(apply, petitions)
    channel.fail_next(1_000)
    await notify.dispatcher.run_once()

    clock.advance(timedelta(seconds=notify.settings.breaker_cooldown_seconds))
    await notify.dispatcher.run_once()  # the trial fails
    tries = channel.tries
    clock.advance(timedelta(seconds=notify.settings.breaker_cooldown_seconds - 1))
    await notify.dispatcher.run_once()

    assert tries == 6 and channel.tries == 6
    assert notify.breakers.of("email").state(clock.now()) == "open"


async def test_an_address_refused_for_good_does_not_count_against_the_channel(
    notify, apply, petitions, channel
) -> None:
    for _ in range(6):
        await a_routed_case(apply, petitions)
    channel.fail_next(6, permanent=True)

    await notify.dispatcher.run_once()

    assert notify.breakers.of("email").failures == 0


# --- quiet hours ----------------------------------------------------------------------------


def china(hour: int, minute: int = 0, day: int = 25) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=CHINA_TZ).astimezone(UTC)


async def test_an_sms_made_at_night_waits_for_eight_in_the_morning_while_email_goes_at_once(
    notify, apply, petitions, fakes, channel, clock
) -> None:
    clock.set(china(23, 10))
    texted = await a_routed_case(apply, petitions, petitions.person(preferred_channel="sms"))
    emailed = await a_routed_case(apply, petitions)

    await notify.dispatcher.run_once()
    assert len(channel.sent) == 1 and fakes["sms"].sent == []
    assert (await the_notice(notify, texted)).next_attempt_at == china(8, 0, day=26)

    clock.set(china(7, 59, day=26))
    await notify.dispatcher.run_once()
    assert fakes["sms"].sent == []
    clock.set(china(8, 0, day=26))
    await notify.dispatcher.run_once()

    assert [m.case_no for m in fakes["sms"].sent] == [texted]
    assert (await the_notice(notify, emailed)).status == "delivered"


async def test_an_sms_retry_falling_in_the_quiet_hours_is_deferred_to_the_morning(
    notify, apply, petitions, fakes, clock
) -> None:
    clock.set(china(21, 59))
    texted = await a_routed_case(apply, petitions, petitions.person(preferred_channel="sms"))
    fakes["sms"].fail_next(1)
    await notify.dispatcher.run_once()  # fails at 21:59; the retry is due at 21:59:01

    clock.set(china(22, 0))
    await notify.dispatcher.run_once()

    notice = await the_notice(notify, texted)
    assert (notice.status, notice.next_attempt_at) == ("pending", china(8, 0, day=26))
    assert await history(notify, notice.id) == [("sms", "retry"), ("sms", "deferred")]
    assert fakes["sms"].tries == 1


# --- preferred channel and fallback ---------------------------------------------------------


async def test_the_preferred_channel_falls_back_to_email_then_to_a_letter(
    notify, apply, petitions, fakes, channel, clock
) -> None:
    texted = await a_routed_case(apply, petitions, petitions.person(preferred_channel="sms"))
    fakes["sms"].fail_next(1_000)
    channel.fail_next(1, permanent=True)

    for _ in range(10):
        await notify.dispatcher.run_once()
        clock.advance(timedelta(minutes=5))

    notice = await the_notice(notify, texted)
    assert (notice.status, notice.channel, notice.chain) == (
        "delivered",
        "letter",
        "sms,email,letter",
    )
    steps = await history(notify, notice.id)
    assert steps == [
        *[("sms", "retry")] * 5,
        ("sms", "fallback"),
        ("email", "fallback"),
        ("letter", "delivered"),
    ]


async def test_a_petitioner_without_a_phone_who_prefers_sms_starts_with_email(
    notify, apply, petitions
) -> None:
    case_no = await a_routed_case(
        apply, petitions, petitions.person(preferred_channel="sms", phone=None)
    )

    assert (await the_notice(notify, case_no)).chain == "email,letter"


# --- dead letters ---------------------------------------------------------------------------


async def test_a_dead_letter_re_sent_by_an_operator_is_delivered_once(
    notify, apply, petitions, channel, fakes, clock, outbox
) -> None:
    case_no = await a_routed_case(apply, petitions)
    channel.fail_next(1_000)
    fakes["letter"].fail_next(1_000)
    for _ in range(20):
        await notify.dispatcher.run_once()
        clock.advance(timedelta(minutes=5))
    failed = await the_notice(notify, case_no)
    async with notify.db.reading() as session:
        assert [n.id for n in await repository.dead_letters(session, limit=10)] == [failed.id]

    channel.fail_next(0)
    resent = await handlers.resend(notify, notice_id=failed.id)
    await notify.dispatcher.run_once()

    assert (resent.status, resent.channel) == ("pending", "email")
    notice = await the_notice(notify, case_no)
    assert (notice.status, notice.channel) == ("delivered", "email")
    assert len(channel.sent) == 1
    assert (await history(notify, notice.id))[-2:] == [("email", "resend"), ("email", "delivered")]
    delivered = [json.loads(r.payload)["data"] for r in await outbox(NoticeDelivered.TYPE)]
    assert [d["channel"] for d in delivered] == ["portal", "email"]
    assert len(await outbox(NoticeFailed.TYPE)) == 1
    async with notify.db.reading() as session:
        assert await repository.dead_letters(session, limit=10) == []


async def test_only_a_failed_notice_can_be_re_sent(notify, apply, petitions) -> None:
    case_no = await a_routed_case(apply, petitions)
    notice = await the_notice(notify, case_no)

    assert await handlers.resend(notify, notice_id=notice.id) is None
    assert await handlers.resend(notify, notice_id="nope") is None


async def test_an_early_warning_by_sms_reaches_a_leader_even_at_night(
    notify, apply, fakes, clock
) -> None:
    from xinfang.common.events import AlertRaised

    clock.set(china(23, 30))
    await apply(
        AlertRaised(alert_id="A-1", kind="collective", summary="联名", raised_at=clock.now())
    )

    await notify.dispatcher.run_once()

    assert [m.recipient for m in fakes["sms"].sent] == ["13900000101"]
