"""BodyLimit on a bare ASGI app: what the app gets to read, and what the client is told."""

import asyncio
from collections.abc import AsyncIterator

import httpx
from starlette.types import Message, Receive, Scope, Send

from xinfang.common.web import BodyLimit


class Reader:
    """An ASGI app that reads the whole body, remembering how much it got, then answers 200."""

    def __init__(self) -> None:
        self.read, self.disconnected = 0, False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        more = True
        while more:
            message: Message = await receive()
            if message["type"] == "http.disconnect":
                self.disconnected = True
                raise RuntimeError("client went away")  # as Starlette's ClientDisconnect would
            self.read += len(message.get("body", b""))
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def client_of(app: BodyLimit) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def chunks(count: int, size: int, pause: float = 0) -> AsyncIterator[bytes]:
    for _ in range(count):
        await asyncio.sleep(pause)
        yield b"x" * size


async def parts(*pieces: bytes) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece


async def test_a_chunked_body_over_the_limit_reaches_the_app_only_up_to_the_limit() -> None:
    reader = Reader()
    async with client_of(BodyLimit(reader, limit=10_000)) as client:
        response = await client.post("/", content=chunks(1000, 1000))
    assert response.status_code == 413
    assert response.json()["errors"][0]["field"] == "body"
    assert reader.read <= 10_000 and reader.disconnected


async def test_a_body_within_the_limit_passes_untouched() -> None:
    reader = Reader()
    async with client_of(BodyLimit(reader, limit=10_000)) as client:
        response = await client.post("/", content=chunks(9, 1000))
    assert (response.status_code, reader.read) == (200, 9000)


async def test_a_body_arriving_too_slowly_is_refused_with_408() -> None:
    reader = Reader()
    async with client_of(BodyLimit(reader, limit=10_000, timeout=0.3)) as client:
        response = await client.post("/", content=chunks(20, 10, pause=0.05))
    assert response.status_code == 408
    assert response.json()["errors"][0]["code"] == "request_timeout"
    assert reader.disconnected


async def test_a_nul_character_in_the_query_or_a_json_body_is_refused_with_422() -> None:
    reader = Reader()
    async with client_of(BodyLimit(reader, limit=10_000)) as client:
        in_query = await client.get("/?q=a%00b")
        in_json = await client.post(
            "/", content=b'{"a": "x\\u0000y"}', headers={"content-type": "application/json"}
        )
        split = await client.post(
            "/",
            content=parts(b'{"a": "x\\u0', b'000y"}'),
            headers={"content-type": "application/json"},
        )
    assert [r.status_code for r in (in_query, in_json, split)] == [422, 422, 422]
    assert in_query.json()["errors"][0]["field"] == "query"
    assert in_json.json()["errors"][0]["code"] == "nul_character"
