"""Intake's own commands beside `serve`: `rotate-keys` re-seals personal data under the first
key."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TextIO

from xinfang.common.migrations import prepare_schema
from xinfang.intake.bootstrap import bootstrap
from xinfang.intake.handlers import rotate_keys
from xinfang.intake.settings import IntakeSettings


class ProgressBar:
    """A one-line text progress bar: `[#####.....] 50% 100/200`."""

    def __init__(self, out: TextIO, width: int = 40) -> None:
        self.out, self.width = out, width

    def __call__(self, done: int, total: int) -> None:
        share = done / total if total else 1.0
        filled = int(self.width * share)
        bar = "#" * filled + "." * (self.width - filled)
        self.out.write(f"\r[{bar}] {share:4.0%} {done}/{total}")
        self.out.flush()


async def rotate(settings: IntakeSettings, *, out: TextIO) -> int:
    """Re-seal every sealed value with the first of `pii_keys`; older keys can then be dropped."""
    intake = bootstrap(settings)
    await prepare_schema(intake.db, service="intake")
    try:
        count = await rotate_keys(intake, progress=ProgressBar(out))
    finally:
        await intake.db.dispose()
    out.write(f"\nre-sealed {count} rows under the first key\n")
    return count


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m xinfang.intake rotate-keys")
    parser.add_argument("command", choices=["rotate-keys"])
    parser.parse_args(argv)
    asyncio.run(rotate(IntakeSettings(), out=sys.stderr))
