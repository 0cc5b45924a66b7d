"""The proposed NATS user of a department, on a real nats-server with authorization: it reads its
own feed through its durable consumer, and is refused another department's feed and a wide
subscription."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest

from xinfang.common.messaging.provision import StreamSpec, ensure_stream
from xinfang.common.testing.nats_server import find_binary, free_port
from xinfang.routing.nats_users import permissions


@pytest.fixture
def guarded_nats(tmp_path: Path) -> Iterator[str]:
    """A nats-server whose only users are routing (all subjects) and C_URBAN's department."""
    port = free_port()
    users = [
        {"user": "routing", "password": "routing-pw"},
        {"user": "dept_C_URBAN", "password": "urban-pw", "permissions": permissions("C_URBAN")},
    ]
    config = {
        "port": port,
        "jetstream": {"store_dir": str(tmp_path / "js")},
        "authorization": {"users": users},
    }
    (tmp_path / "nats.conf").write_text(json.dumps(config), encoding="utf-8")
    server = subprocess.Popen([find_binary(), "-c", str(tmp_path / "nats.conf")])
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


async def connect(url: str, **kwargs: object) -> nats.NATS:
    for _ in range(50):
        try:
            return await nats.connect(url, **kwargs)  # type: ignore[arg-type]
        except Exception:  # the server is still starting
            await asyncio.sleep(0.1)
    raise RuntimeError("nats-server did not start")


async def test_a_department_user_reads_its_own_feed_and_nothing_else(guarded_nats: str) -> None:
    routing = await connect(f"nats://routing:routing-pw@{guarded_nats}")
    await ensure_stream(routing.jetstream(), StreamSpec())
    for code in ("C_URBAN", "C_EDU"):
        await routing.jetstream().publish(f"xinfang.petition.routed.{code}", code.encode())
    errors: list[str] = []

    async def on_error(error: Exception) -> None:
        errors.append(str(error))

    department = await connect(
        f"nats://dept_C_URBAN:urban-pw@{guarded_nats}",
        inbox_prefix="_INBOX_C_URBAN",
        error_cb=on_error,
    )
    js = department.jetstream(timeout=1.0)
    own = await js.pull_subscribe("xinfang.*.*.C_URBAN", durable="dept-C_URBAN", stream="XINFANG")
    received = [m.data for m in await own.fetch(10, timeout=3)]
    with pytest.raises(nats.errors.TimeoutError):
        await js.pull_subscribe("xinfang.*.*.C_EDU", durable="dept-C_EDU", stream="XINFANG")
    await department.subscribe("xinfang.>")
    await department.flush()
    await asyncio.sleep(0.3)
    await department.close()
    await routing.close()

    assert received == [b"C_URBAN"]
    assert any("permissions violation" in e and "dept-c_edu" in e for e in errors)
    assert any("permissions violation for subscription" in e for e in errors)
