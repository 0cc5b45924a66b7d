"""Group commit: concurrent requests written together in one transaction, so one commit (one
fsync) serves them all; each request is answered only once that commit is done."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    """Queues items and writes them in batches with `write`, one batch at a time.

    `write(batch)` commits the whole batch and returns one result per item, in order. If a batch
    fails, its items are written again one by one, so one bad item fails alone.
    """

    def __init__(self, write: Callable[[list[T]], Awaitable[list[R]]], *, max_batch: int = 64):
        self.write, self.max_batch = write, max_batch
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        """Write `item` with the next batch; its result once that batch is committed."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._waiting:
            batch = self._waiting[: self.max_batch]
            del self._waiting[: self.max_batch]
            # A request given up before its turn is not written.
            batch = [(item, future) for item, future in batch if not future.done()]
            if batch:
                await self._write_batch(batch)

    async def _write_batch(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await self.write([item for item, _ in batch])
        except asyncio.CancelledError:  # shutting down: nobody may wait for ever
            for _, future in batch:
                future.cancel()
            raise
        except Exception as exc:
            if len(batch) > 1:
                for one in batch:
                    await self._write_batch([one])
                return
            _settle(batch[0][1], exception=exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            _settle(future, result=result)


def _settle(
    future: asyncio.Future[R], *, result: R | None = None, exception: Exception | None = None
) -> None:
    if future.done():  # the caller was cancelled meanwhile; the write stands
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        future.set_result(result)  # type: ignore[arg-type]
