"""Local SMTP catcher for development (`make up`): every message notify sends lands as an .eml
file, and one JSON line per message goes to stdout.

    python -m xinfang.common.devsmtp --port 1025 --dir var/mail
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import signal
import sys
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any


def log(event: str, **fields: Any) -> None:
    """Write one JSON log line to stdout."""
    line = {"timestamp": datetime.now(UTC).isoformat(), "level": "info", "event": event}
    print(json.dumps(line | fields, ensure_ascii=False), flush=True)


class MailDir:
    """aiosmtpd handler that writes each message to `<dir>/<timestamp>-<n>.eml`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._counter = itertools.count(1)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content: bytes = envelope.original_content or envelope.content
        path = self._next_path()
        path.write_bytes(content)
        headers = BytesParser(policy=default_policy).parsebytes(content, headersonly=True)
        log(
            "mail.received",
            to=list(envelope.rcpt_tos),
            mail_from=envelope.mail_from,
            subject=str(headers["Subject"] or ""),
            message_id=str(headers["Message-ID"] or ""),
            file=str(path),
        )
        return "250 OK"

    def _next_path(self) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        return self.directory / f"{stamp}-{next(self._counter):04d}.eml"


async def serve(*, host: str, port: int, directory: Path) -> None:
    """Accept mail on host:port into `directory` (which exists) until SIGINT or SIGTERM."""
    from aiosmtpd.smtp import SMTP

    handler = MailDir(directory)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="localhost", enable_SMTPUTF8=True, decode_data=False),
        host,
        port,
    )
    stopping = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    log("devsmtp.started", host=host, port=port, dir=str(directory))
    async with server:
        await stopping.wait()
    log("devsmtp.stopped")


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the catcher."""
    parser = argparse.ArgumentParser(prog="python -m xinfang.common.devsmtp", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--dir", type=Path, default=Path("var/mail"), dest="directory")
    args = parser.parse_args(argv)
    directory: Path = args.directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    try:
        asyncio.run(serve(host=args.host, port=args.port, directory=directory))
    except OSError as error:
        print(f"devsmtp: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # a Ctrl-C before the signal handlers are installed
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
