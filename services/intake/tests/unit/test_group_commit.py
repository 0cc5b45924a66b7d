"""Group commit with a fake writer: batches, per-item failures, cancelled waiters."""

import asyncio

import pytest

from xinfang.intake.groupcommit import GroupCommit


class Writer:
    """Records each batch; fails any batch that holds "bad"."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.writing = asyncio.Event()

    async def __call__(self, batch: list[str]) -> list[str]:
        self.batches.append(list(batch))
        self.writing.set()
        await asyncio.sleep(0)  # the commit: others queue meanwhile
        if "bad" in batch:
            raise ValueError("bad item")
        return [item.upper() for item in batch]


async def test_items_submitted_together_are_written_in_one_batch_in_order():
    writer = Writer()
    commit = GroupCommit(writer)

    results = await asyncio.gather(*(commit.submit(x) for x in "abcd"))

    assert results == ["A", "B", "C", "D"]
    assert writer.batches == [["a", "b", "c", "d"]]


async def test_items_arriving_during_a_commit_go_in_the_next_batch_up_to_its_size():
    writer = Writer()
    commit = GroupCommit(writer, max_batch=3)
    first = asyncio.create_task(commit.submit("a"))
    await writer.writing.wait()  # the writer has taken "a" alone
    await asyncio.gather(first, *(commit.submit(x) for x in "bcdef"))
    assert writer.batches == [["a"], ["b", "c", "d"], ["e", "f"]]


async def test_a_failing_item_fails_alone_and_the_others_are_written():
    writer = Writer()
    commit = GroupCommit(writer)

    results = await asyncio.gather(
        *(commit.submit(x) for x in ["a", "bad", "c"]), return_exceptions=True
    )

    assert results[0] == "A" and results[2] == "C"
    assert isinstance(results[1], ValueError)
    assert writer.batches == [["a", "bad", "c"], ["a"], ["bad"], ["c"]]


async def test_a_request_given_up_before_its_batch_is_not_written():
    writer = Writer()
    commit = GroupCommit(writer)
    first = asyncio.create_task(commit.submit("a"))
    await writer.writing.wait()  # the writer has taken "a" alone
    gone = asyncio.create_task(commit.submit("gone"))
    await asyncio.sleep(0)
    gone.cancel()

    assert await first == "A"
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert all("gone" not in batch for batch in writer.batches)
