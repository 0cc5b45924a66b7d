"""Fault injection under load and the personal-data audit (`make chaos`).

Starts the whole system on a PostgreSQL of its own (initdb + pg_ctl in a temporary directory;
SQLite if the PostgreSQL binaries are missing), posts petitions at a steady pace while every
department answers its cases through routing's workbench, and meanwhile SIGKILLs intake, routing,
supervision and notify in turn, then nats-server, then crashes PostgreSQL, restarting each. At the
end it counts, for every petition, each effect (registered, routed, each deadline, each step,
each notice delivered) and checks supervision's KPIs against the cases; then it looks for
personal data in clear in the streams, the logs, what departments see, the webhooks and the
databases. Prints the counts, the time to recover from each fault and the audit; exits 1 on any
loss, duplicate or hit.

    uv run python scripts/chaos.py [--petitions 300] [--pace 0.5] [--down 2]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from chaos import ChaosSettings, ChaosSystem  # noqa: E402
from proof import prove  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--petitions", type=int, default=300, help="at least this many")
    parser.add_argument("--pace", type=float, default=0.5, help="seconds between two POSTs")
    parser.add_argument("--down", type=float, default=2.0, help="seconds each part stays down")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    settings = ChaosSettings(petitions=args.petitions, pace=args.pace, down=args.down)
    root = Path(tempfile.mkdtemp(prefix="xinfang-chaos-"))
    started = time.monotonic()

    def progress(line: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {line}", flush=True)

    try:
        with ChaosSystem(root, progress=progress) as chaos:
            if chaos.pg is None:
                progress(
                    "PostgreSQL binaries not found (/usr/lib/postgresql/*/bin): on SQLite, "
                    "without the database fault"
                )
            progress(f"system up on {chaos.backend}; logs in {root / 'system' / 'log'}")
            outcome = asyncio.run(prove(chaos, settings))
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(outcome.report(), flush=True)
    return 1 if outcome.failed else 0


if __name__ == "__main__":
    sys.exit(main())
