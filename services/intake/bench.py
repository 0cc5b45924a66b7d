"""Intake registrations per second, beside a bare FastAPI endpoint measured in the same run.

    uv run python services/intake/bench.py [--requests 1000] [--concurrency 16] [--database-url URL]

Both apps are driven in-process over ASGI by the same client with the same petition bodies, so
the difference is what registration costs: validation, detection, sealing personal data, the
case-number counter, and one committed transaction with the outbox event. NATS is not needed:
events wait in the outbox, as they do whenever NATS is away.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from xinfang.intake.main import create_app
from xinfang.intake.models import PetitionCreate
from xinfang.intake.settings import IntakeSettings
from xinfang.intake.testing import a_full_petition, a_petitioner

NAMES = ["张三", "李四", "王芳", "赵磊", "陈静", "刘洋", "杨帆", "黄丽", "周杰", "吴敏"]


def petitions(count: int) -> list[dict[str, Any]]:
    """Varied petitions from different people, so repeat detection has real work to do."""
    return [
        a_full_petition(
            petitioners=[a_petitioner(name=NAMES[n % 10] + str(n), phone=f"138{n:08d}")],
            facts=f"第{n}号：某公司拖欠工资{n % 7 + 1}个月未发放，多次讨要无果。",
        )
        for n in range(count)
    ]


def bare_app() -> FastAPI:
    """The floor: FastAPI parsing the same model and answering 201, with nothing else."""
    app = FastAPI()

    @app.post("/api/v1/petitions", status_code=201)
    async def register(body: PetitionCreate) -> dict[str, str]:
        return {"case_no": "XF0", "query_code": "X"}

    return app


async def measure(app: Any, bodies: list[dict[str, Any]], concurrency: int) -> float:
    """Registrations per second over `bodies`, `concurrency` clients at once."""
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

        async def worker() -> None:
            while not queue.empty():
                response = await client.post("/api/v1/petitions", json=queue.get_nowait())
                assert response.status_code == 201, response.text

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return len(bodies) / (time.perf_counter() - started)


async def run(requests: int, concurrency: int, database_url: str | None) -> tuple[float, float]:
    bodies = petitions(requests)
    bare = await measure(bare_app(), bodies, concurrency)
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        settings = IntakeSettings(
            database_url=url, start_background=False, attachments_dir=Path(tmp) / "files"
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            intake = await measure(app, bodies, concurrency)
    return intake, bare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    intake, bare = asyncio.run(run(args.requests, args.concurrency, args.database_url))
    print(f"bare FastAPI endpoint: {bare:8.0f} requests/s")
    print(f"intake registrations:  {intake:8.0f} registrations/s ({intake / bare:.0%} of bare)")


if __name__ == "__main__":
    main()
