"""The README's consumer under the deployment's NATS permissions (deploy/nats/generate.py), on a
real nats-server with authorization: a department user reads its own feed through its durable
consumer, and is refused another department's feed and a wide subscription."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nats
import pytest

from xinfang.common.messaging.provision import (
    ConsumerSpec,
    StreamSpec,
    ensure_consumer,
    ensure_stream,
)
from xinfang.common.testing.nats_server import find_binary, free_port

GENERATOR = Path(__file__).parents[4] / "deploy" / "nats" / "generate.py"


def deployment_generator() -> Any:
    spec = importlib.util.spec_from_file_location("xinfang_deploy_nats_generate", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def guarded_nats(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """nats-server with an all-subjects `operator` and C_URBAN's user as the deployment has it;
    yields its address and that user's inbox prefix."""
    if not GENERATOR.exists():
        pytest.skip("deploy/nats/generate.py is not in this checkout")
    generator = deployment_generator()
    department = generator.department_user("C_URBAN", "江宁市城市管理局")
    users = [
        {"user": "operator", "password": "operator-pw"},
        {
            "user": department.name,
            "password": "urban-pw",
            "permissions": {
                "publish": {"allow": department.publish},
                "subscribe": {"allow": department.subscribe},
            },
        },
    ]
    port = free_port()
    config = {
        "port": port,
        "jetstream": {"store_dir": str(tmp_path / "js")},
        "authorization": {"users": users},
    }
    (tmp_path / "nats.conf").write_text(json.dumps(config), encoding="utf-8")
    server = subprocess.Popen([find_binary(), "-c", str(tmp_path / "nats.conf")])
    try:
        yield f"127.0.0.1:{port}", generator.department_inbox("C_URBAN")
    finally:
        server.terminate()
        server.wait(timeout=10)


async def connect(url: str, **kwargs: Any) -> nats.NATS:
    for _ in range(50):
        try:
            return await nats.connect(url, **kwargs)
        except Exception:  # the server is still starting
            await asyncio.sleep(0.1)
    raise RuntimeError("nats-server did not start")


async def test_a_department_user_reads_its_own_feed_and_nothing_else(
    guarded_nats: tuple[str, str],
) -> None:
    address, inbox = guarded_nats
    operator = await connect(f"nats://operator:operator-pw@{address}")
    await ensure_stream(operator.jetstream(), StreamSpec())
    for code in ("C_URBAN", "C_EDU"):  # as xinfang.common.messaging.provision provisions them
        await ensure_consumer(
            operator.jetstream(),
            ConsumerSpec(durable=f"dept-{code}", subjects=[f"xinfang.*.*.{code}"]),
        )
        await operator.jetstream().publish(f"xinfang.petition.routed.{code}", code.encode())
    errors: list[str] = []

    async def on_error(error: Exception) -> None:
        errors.append(str(error))

    department = await connect(
        f"nats://dept_C_URBAN:urban-pw@{address}", inbox_prefix=inbox, error_cb=on_error
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
    await operator.close()

    assert received == [b"C_URBAN"]
    assert any("permissions violation" in e and "dept-c_edu" in e for e in errors)
    assert any("permissions violation for subscription" in e for e in errors)
