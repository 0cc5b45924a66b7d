"""Exactly once across a crash: notify runs as its own process
(`python -m xinfang.notify serve`, configured by environment variables) against a real
nats-server and a real SMTP server; it is SIGKILLed while it is sending and started again.
Each petitioner still gets one e-mail per notice (counted by Message-ID)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from aiosmtpd.controller import Controller

from xinfang.common.testing.nats_server import free_port

CASES = 30
SEND_SECONDS = 0.15  # a slow mail server, so the kill lands mid-batch


class SlowInbox:
    """An SMTP server that takes its time and keeps (case, notice, Message-ID) of each mail."""

    def __init__(self) -> None:
        self.mails: list[tuple[str, str, str, tuple[str, ...]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(SEND_SECONDS)
        message = BytesParser(policy=default_policy).parsebytes(envelope.content)
        self.mails.append(
            (
                message["X-Xinfang-Case"],
                message["X-Xinfang-Notice"],
                message["Message-ID"],
                tuple(envelope.rcpt_tos),
            )
        )
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[tuple[SlowInbox, int]]:
    handler, port = SlowInbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


class NotifyProcess:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "xinfang.notify", "serve"],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(15)


async def until(check, seconds: float = 40.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def ready(port: int) -> bool:
    try:
        async with httpx.AsyncClient() as client:
            return (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def notify_process(tmp_path: Path, nats_url: str, inbox) -> Iterator[Any]:
    # SQLite only: two process start-ups are this suite's slowest part, and the leases that make
    # a restart safe are tested on PostgreSQL too (test_leases.py).
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'notify.db'}"
    _, smtp_port = inbox
    port = free_port()
    env = os.environ | {
        "XINFANG_NOTIFY_ENVIRONMENT": "test",
        "XINFANG_NOTIFY_PORT": str(port),
        "XINFANG_NOTIFY_NATS_URL": nats_url,
        "XINFANG_NOTIFY_DATABASE_URL": database_url,
        "XINFANG_NOTIFY_SMTP_PORT": str(smtp_port),
        "XINFANG_NOTIFY_SMTP_TIMEOUT": "1",
        "XINFANG_NOTIFY_HTTP_TIMEOUT": "1",
        "XINFANG_NOTIFY_LEASE_SECONDS": "3",
        "XINFANG_NOTIFY_DISPATCH_BATCH": "5",
        "XINFANG_NOTIFY_LETTERS_DIR": str(tmp_path / "letters"),
        "XINFANG_NOTIFY_LOG_LEVEL": "WARNING",
        "XINFANG_NOTIFY_CONSUMER_ACK_WAIT_SECONDS": "5",  # batches the killed process held
    }
    process = NotifyProcess(env, tmp_path / "notify.log")
    process.port = port  # type: ignore[attr-defined]
    yield process
    process.stop()


async def publish(js: Any, event: Any, envelope: Any, *, msg_id: str | None = None) -> None:
    await js.publish(
        event.nats_subject(),
        envelope.model_dump_json().encode(),
        headers={"Nats-Msg-Id": msg_id or envelope.id},
    )


@pytest.mark.e2e
async def test_a_notify_process_killed_mid_batch_sends_one_email_per_recipient_after_restart(
    nats_url, notify_process, inbox, petitions
) -> None:
    handler, _ = inbox
    notify_process.start()
    await until_ready(notify_process)
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    cases = [petitions.case_no() for _ in range(CASES)]
    try:
        for case_no in cases:
            received, routed = petitions.received(case_no), petitions.routed(case_no)
            await publish(js, received, petitions.envelope(received))
            await publish(js, routed, petitions.envelope(routed))
        await until(lambda: len(handler.mails) >= 5)
        notify_process.kill()  # mid-batch: some mails sent, some leased, most still queued
        sent_before = len(handler.mails)
        assert sent_before < CASES

        notify_process.start()
        await until_ready(notify_process)
        await until(lambda: len({m[2] for m in handler.mails}) >= CASES, seconds=90)
        await asyncio.sleep(4)  # a lease (3 s) more: a straggling resend would show by now
    finally:
        await nc.close()

    per_case: dict[str, set[str]] = defaultdict(set)
    for case_no, notice, message_id, rcpt in handler.mails:
        assert (notice, rcpt) == ("registration", ("zhang.sanfeng@example.cn",))
        per_case[case_no].add(message_id)
    assert set(per_case) == set(cases)
    assert all(len(ids) == 1 for ids in per_case.values()), per_case


async def until_ready(process: NotifyProcess) -> None:
    """Wait for /readyz; a busy 2-core machine takes a while to import the app."""
    deadline = time.monotonic() + 120
    while not await ready(process.port):  # type: ignore[attr-defined]
        log = process.log.read_text(errors="replace")[-3000:]
        assert process.process and process.process.poll() is None, f"notify exited:\n{log}"
        assert time.monotonic() < deadline, f"notify did not become ready:\n{log}"
        await asyncio.sleep(0.1)
