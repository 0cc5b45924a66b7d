"""A local SMS gateway stand-in for development and tests: `python -m xinfang.notify sms-gateway
--port N --dir var/sms`.

It speaks the provider adapter's protocol (POST JSON `{to, text, ref}` signed with HMAC-SHA256
over timestamp and body), refuses bad signatures with 401, and records each accepted message as
`<dir>/<ref>.json` (a repeated ref is accepted and not recorded twice). `fail_next(n)` makes it
answer 503 n times, for failure-and-recovery tests. Phone numbers stay on the developer's disk.
"""

from __future__ import annotations

import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from xinfang.notify.channels.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify


class Receiver(ThreadingHTTPServer):
    """An HTTP server that checks signatures and keeps what it accepts (SMS or webhooks)."""

    daemon_threads = True

    def __init__(self, port: int, *, secret: str | None, directory: Path | None = None) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.secret, self.directory = secret, directory
        self.received: list[dict[str, Any]] = []
        self.requests = 0
        self._failures = 0
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def fail_next(self, times: int) -> None:
        self._failures = times

    def start(self) -> Receiver:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def accept(self, body: bytes, headers: Any) -> int:
        """The status to answer a POST with; records the message when it is 200."""
        with self._lock:
            self.requests += 1
            if self._failures > 0:
                self._failures -= 1
                return 503
        signature, timestamp = headers.get(SIGNATURE_HEADER, ""), headers.get(TIMESTAMP_HEADER, "")
        if self.secret and not verify(
            secret=self.secret, timestamp=timestamp, body=body, signature=signature
        ):
            return 401
        message = json.loads(body)
        ref = str(message.get("ref") or message.get("notice_id") or "")
        with self._lock:
            if any(m.get("_ref") == ref for m in self.received):
                return 200
            self.received.append(message | {"_ref": ref})
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            target = self.directory / f"{ref or len(self.received)}.json"
            target.write_text(json.dumps(message, ensure_ascii=False, indent=2), encoding="utf-8")
        return 200


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            status = self.server.accept(body, self.headers)
        except ValueError:
            status = 400
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps({"ok": status == 200}).encode())

    def log_message(self, format: str, *args: Any) -> None:  # keep numbers out of the console
        return None


def main(argv: list[str]) -> None:
    """Run the stand-in until interrupted."""
    from xinfang.notify.settings import NotifySettings

    parser = argparse.ArgumentParser(prog="python -m xinfang.notify sms-gateway")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--dir", default="var/sms", help="where received messages are written")
    parser.add_argument("--secret", help="signing secret (default: notify's SMS_SECRET)")
    args = parser.parse_args(argv)
    secret = args.secret or NotifySettings().sms_secret
    server = Receiver(args.port, secret=secret, directory=Path(args.dir))
    print(f"sms gateway stand-in on {server.url}/sms, writing to {args.dir}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
