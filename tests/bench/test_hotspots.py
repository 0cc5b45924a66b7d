"""The profile summary: what a thread spends its time on, with waiting threads left out."""

from __future__ import annotations

from scripts.bench.hotspots import summarise_stacks

SITE = "/venv/lib/python3.11/site-packages"
LOOP = f"run_forever ({SITE}/asyncio/base_events.py:607)"
THREAD = "_bootstrap (/usr/lib/python3.11/threading.py:1002)"
COLLAPSED = "\n".join(
    [
        f"{LOOP};select (/usr/lib/python3.11/selectors.py:468);EpollSelector.select (x:468) 50",
        f"{THREAD};_connection_worker_thread ({SITE}/aiosqlite/core.py:59) 30",
        f"{THREAD};_connection_worker_thread ({SITE}/aiosqlite/core.py:63);"
        f"Connection._execute ({SITE}/aiosqlite/core.py:158) 15",
        f"{LOOP};apply_batch (/work/libs/common/src/xinfang/common/messaging/consumer.py:120);"
        f"dumps ({SITE}/json/__init__.py:231) 5",
        "<module> (<frozen importlib._bootstrap>:241);exec_module (x:1) 7",
    ]
)


def test_waiting_threads_and_imports_are_not_counted_as_work() -> None:
    summary = summarise_stacks(COLLAPSED)
    assert summary["samples"] == 100  # the import's 7 are start-up, not counted at all
    assert summary["busy_share"] == 0.2  # 80 of 100 found the loop or aiosqlite's worker waiting
    own = {f["function"]: f["share"] for f in summary["self"]}
    assert own == {
        "Connection._execute (aiosqlite/core.py:158)": 0.75,
        "dumps (json/__init__.py:231)": 0.25,
    }


def test_the_total_names_the_callers_but_not_the_event_loop() -> None:
    total = {f["function"]: f["share"] for f in summarise_stacks(COLLAPSED)["total"]}
    assert total["apply_batch (xinfang/common/messaging/consumer.py:120)"] == 0.25
    assert not any("asyncio/" in function for function in total)


def test_own_time_is_also_told_by_package() -> None:
    packages = {p["function"]: p["share"] for p in summarise_stacks(COLLAPSED)["by_package"]}
    assert packages == {"aiosqlite": 0.75, "json": 0.25}
