"""The load generator: a process of its own that POSTs petitions and writes down when.

    python -m scripts.bench.loadgen --url http://127.0.0.1:8001 --out load.json \
        (--rate 200 | --concurrency 64) --duration 20 [--first 0] [--max 100000]

Open loop (`--rate`): arrival i is due at start + i/rate whether or not earlier ones have been
answered, and its latency counts from that moment, so a slow server cannot slow the clock down
(no coordinated omission). If more than `--overload` arrivals are waiting for an answer the
server is not keeping up: offering stops and the result says when. Closed loop
(`--concurrency`): that many clients post back to back, which finds the saturation rate.

Several `--url`s share the load round-robin (instances of intake). Times are
`time.perf_counter()`, which on Linux is CLOCK_MONOTONIC and so comparable across processes.
The HTTP client is a bare HTTP/1.1 keep-alive connection: on two cores the client's own CPU
is part of the measurement, and this costs a fraction of a general-purpose client.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from petitions import a_petition  # noqa: E402

PATH = "/api/v1/petitions"
ERROR_SAMPLES = 5


@dataclass
class Record:
    """One POST: when it was due, sent and answered, and what came back."""

    n: int
    due: float
    sent: float = 0.0
    answered: float = 0.0
    status: int = 0
    case_no: str = ""


class Connection:
    """One keep-alive HTTP/1.1 connection that POSTs JSON and reads the answer."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        """Send one request; reconnects once if the server closed the idle connection."""
        if self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        return await self._answer()

    async def _answer(self) -> tuple[int, bytes]:
        assert self.reader is not None
        status_line = await self.reader.readuntil(b"\r\n")
        status = int(status_line.split()[1])
        length, closing = 0, False
        while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and value.strip().lower() == "close":
                closing = True
        body = await self.reader.readexactly(length)
        if closing:
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


class Load:
    """Bodies to post, the connections to post them on, and the records of what happened."""

    def __init__(self, urls: list[str], bodies: list[bytes], connections: int) -> None:
        targets = [urlsplit(u) for u in urls]
        pairs = itertools.cycle([(t.hostname or "127.0.0.1", t.port or 80) for t in targets])
        self.idle: asyncio.Queue[Connection] = asyncio.Queue()
        for _ in range(connections):
            self.idle.put_nowait(Connection(*next(pairs)))
        self.bodies = bodies
        self.records: list[Record] = []
        self.errors: list[str] = []
        self.waiting = 0  # arrivals not yet answered

    async def post(self, record: Record) -> None:
        """POST body `record.n` on an idle connection, filling in the record."""
        self.waiting += 1
        connection = await self.idle.get()
        record.sent = time.perf_counter()
        try:
            record.status, answer = await connection.post(PATH, self.bodies[record.n])
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            connection.close()
            answer = repr(error).encode()
        finally:
            record.answered = time.perf_counter()
            self.idle.put_nowait(connection)
            self.waiting -= 1
        self.records.append(record)
        if record.status == 201:
            record.case_no = json.loads(answer)["case_no"]
        elif len(self.errors) < ERROR_SAMPLES:
            self.errors.append(f"{record.status}: {answer[:300].decode(errors='replace')}")


async def open_loop(load: Load, rate: float, duration: float, overload: int) -> float | None:
    """Arrivals on schedule for `duration` seconds; returns when offering stopped early."""
    started = time.perf_counter()
    tasks: list[asyncio.Task[None]] = []
    for n in range(min(int(rate * duration), len(load.bodies))):
        due = started + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if load.waiting > overload:
            stopped = time.perf_counter() - started
            await asyncio.gather(*tasks)
            return stopped
        tasks.append(asyncio.create_task(load.post(Record(n, due))))
    await asyncio.gather(*tasks)
    return None


async def closed_loop(load: Load, concurrency: int, duration: float) -> None:
    """`concurrency` clients post back to back until `duration` has passed."""
    numbers = iter(range(len(load.bodies)))
    stop_at = time.perf_counter() + duration

    async def client() -> None:
        for n in numbers:
            if time.perf_counter() >= stop_at:
                return
            await load.post(Record(n, time.perf_counter()))

    await asyncio.gather(*(client() for _ in range(concurrency)))


def petition_bodies(intake_url: str, first: int, count: int) -> list[bytes]:
    """`count` varied petitions (numbered from `first`) over the city's categories and regions."""
    categories = _get_json(f"{intake_url}/api/v1/categories")
    regions = _get_json(f"{intake_url}/api/v1/regions")
    # 纪检监察 (04) and 其他 (99) may wait for a clerk instead of being routed.
    category_codes = [c["code"] for c in categories if c["code"][:2] not in ("04", "99")]
    region_codes = [r["code"] for r in regions if r["level"] in ("district", "street")]
    bodies = []
    for n in range(first, first + count):
        petition = a_petition(
            n,
            category_code=category_codes[n % len(category_codes)],
            region_code=region_codes[(n // len(category_codes)) % len(region_codes)],
        )
        bodies.append(json.dumps(petition, ensure_ascii=False).encode())
    return bodies


def _get_json(url: str) -> list[dict[str, str]]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return list(json.load(response))


async def run(args: argparse.Namespace) -> dict[str, object]:
    """Generate the load the arguments describe; returns what the output file holds."""
    count = args.max
    if args.rate:
        count = min(count, int(args.rate * args.duration))
    bodies = petition_bodies(args.codes_from or args.url[0], args.first, count)
    load = Load(args.url, bodies, args.connections or args.concurrency or args.overload)
    started = time.perf_counter()
    stopped_early = None
    if args.rate:
        stopped_early = await open_loop(load, args.rate, args.duration, args.overload)
    else:
        await closed_loop(load, args.concurrency, args.duration)
    return {
        "started": started,
        "finished": time.perf_counter(),
        "overloaded_after_s": stopped_early,
        "errors": load.errors,
        "records": [asdict(r) for r in sorted(load.records, key=lambda r: r.n)],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench.loadgen", description=__doc__)
    parser.add_argument("--url", action="append", required=True, help="intake base URL(s)")
    parser.add_argument("--codes-from", help="intake URL for the city's codes (first --url)")
    parser.add_argument("--out", type=Path, required=True, help="where to write the records")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--rate", type=float, help="open loop: arrivals per second")
    mode.add_argument("--concurrency", type=int, help="closed loop: clients posting back to back")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load (20)")
    parser.add_argument("--first", type=int, default=0, help="number of the first petition")
    parser.add_argument("--max", type=int, default=200_000, help="at most this many petitions")
    parser.add_argument(
        "--overload", type=int, default=500, help="open loop: unanswered arrivals that stop it"
    )
    parser.add_argument("--connections", type=int, help="open loop: connections (--overload)")
    args = parser.parse_args(argv)
    result = asyncio.run(run(args))
    args.out.write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
