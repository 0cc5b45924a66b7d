"""The README's ten-line consumer, run as it is printed, receives a department's events from a
real nats-server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nats

from xinfang.common.testing.builders import a_petition_routed, envelope_of, eventually
from xinfang.routing.webhooks import sign, verify

README = Path(__file__).parents[2] / "README.md"


def blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_the_consumer_example_is_at_most_ten_lines_of_code() -> None:
    code = [line for line in blocks()[0].splitlines() if line.strip()]
    assert len(code) <= 12  # ten lines of logic, plus the two imports lines


async def test_the_readme_consumer_prints_the_departments_events(
    nats_url: str, tmp_path: Path
) -> None:
    dept = f"T_{os.getpid()}_{id(tmp_path) % 10_000}"
    script = tmp_path / "consume.py"
    script.write_text(blocks()[0], encoding="utf-8")
    nc = await nats.connect(nats_url)
    await _ensure_stream(nc)  # the consumer binds to the platform's stream
    env = os.environ | {"NATS_URL": nats_url, "DEPT": dept}
    process = subprocess.Popen(  # noqa: ASYNC220 - a child we read from a thread
        [sys.executable, str(script)], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        event = a_petition_routed(department_code=dept)
        envelope = envelope_of(event)
        await nc.jetstream().publish(
            event.nats_subject(),
            envelope.model_dump_json().encode(),
            headers={"Nats-Msg-Id": envelope.id},
        )
        assert process.stdout is not None
        line = await eventually(lambda: _readline(process), within=15)
        assert line.startswith("xinfang.petition.routed.v1 " + event.case_no)
    finally:
        process.kill()
        process.wait()
        await nc.close()


async def _ensure_stream(nc: nats.NATS) -> None:
    from xinfang.common.messaging.provision import StreamSpec, ensure_stream

    await ensure_stream(nc.jetstream(), StreamSpec())


async def _readline(process: subprocess.Popen[str]) -> str:
    import asyncio

    assert process.stdout is not None
    return await asyncio.to_thread(process.stdout.readline)


def test_the_readme_verifier_accepts_our_signature_and_rejects_tampering() -> None:
    namespace: dict[str, object] = {}
    exec(blocks()[1], namespace)
    readme_verify = namespace["verify"]
    body, secret, now = b'{"id":"e1"}', "s" * 32, int(__import__("time").time())
    headers = {
        "X-Xinfang-Webhook-Timestamp": str(now),
        "X-Xinfang-Webhook-Signature": sign(secret, now, body),
    }

    assert readme_verify(secret, headers, body)  # type: ignore[operator]
    assert not readme_verify(secret, headers, body + b" ")  # type: ignore[operator]
    assert verify(
        secret,
        timestamp=str(now),
        body=body,
        signature=headers["X-Xinfang-Webhook-Signature"],
        now=now,
    )
