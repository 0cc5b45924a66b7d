"""Hostile input against a real intake process (`python -m xinfang.intake serve`, uvicorn with the
service's limits): huge and chunked bodies, slow clients, deep JSON, long strings, huge forms.
Each gets a clear 4xx, the server's memory stays bounded and other requests are still served."""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from xinfang.common.testing.nats_server import free_port

MB = 1024 * 1024
PETITION = {
    "channel": "web",
    "petitioners": [{"name": "张三", "phone": "13800138000", "address": "江城区鼓楼街道1号"}],
    "region_code": "369901",
    "category_code": "140000",
    "title": "小区夜间施工噪音扰民",
    "content": "某工地连续多日夜间施工，严重影响居民休息。",
}


class Served:
    """The intake process and where it listens."""

    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process, self.port = process, port
        self.url = f"http://127.0.0.1:{port}"

    def rss_bytes(self) -> int:
        """The process's resident memory now."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(x for x in status.splitlines() if x.startswith("VmRSS:"))
        return int(line.split()[1]) * 1024

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=15)


@pytest.fixture(scope="module")
def intake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One intake process for the module (on SQLite: the limits are the web layer's)."""
    tmp_path = tmp_path_factory.mktemp("intake")
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}"
    port = free_port()
    prefix = "XINFANG_INTAKE_"
    env = os.environ | {
        f"{prefix}DATABASE_URL": database_url,
        f"{prefix}PORT": str(port),
        f"{prefix}ENVIRONMENT": "test",
        f"{prefix}START_BACKGROUND": "false",
        f"{prefix}ATTACHMENTS_DIR": str(tmp_path / "attachments"),
        f"{prefix}HTTP_HEADER_TIMEOUT_SECONDS": "1",
        f"{prefix}HTTP_BODY_TIMEOUT_SECONDS": "2",
        f"{prefix}LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "xinfang.intake", "serve"], env=env, cwd=tmp_path
    )
    served = Served(process, port)
    try:
        _wait_until_up(served)
        yield served
    finally:
        process.terminate()
        process.wait(timeout=20)


def _wait_until_up(served: Served) -> None:
    for _ in range(300):
        if served.process.poll() is not None:
            raise RuntimeError(f"intake exited with {served.process.returncode}")
        try:
            if httpx.get(f"{served.url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("intake did not come up")


def _send_chunked(sock: socket.socket, head: bytes, total: int) -> tuple[int, bytes]:
    """Send `head` then a chunked body of up to `total` bytes (a file part, should the body be
    multipart), stopping when the server answers; returns how much was sent and what came back."""
    sock.sendall(head + b"Transfer-Encoding: chunked\r\n\r\n")
    part = (
        b'--b\r\nContent-Disposition: form-data; name="attachment"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\n"
    )
    sock.sendall(b"%x\r\n%s\r\n" % (len(part), part))
    chunk, sent = b"x" * MB, 0
    while sent < total:
        readable, _, _ = select.select([sock], [], [], 0)
        if readable:
            break
        try:
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except (BrokenPipeError, ConnectionResetError):
            break
        sent += len(chunk)
    return sent, _read_all(sock)


def _read_all(sock: socket.socket) -> bytes:
    received = b""
    try:
        while data := sock.recv(65536):
            received += data
    except (ConnectionResetError, TimeoutError):
        pass
    return received


class PeakRss:
    """Samples a process's resident memory in the background; `peak` is the largest seen."""

    def __init__(self, served: Served) -> None:
        self.served, self.peak, self.running = served, served.rss_bytes(), True
        self.thread = threading.Thread(target=self._sample)
        self.thread.start()

    def _sample(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.served.rss_bytes())
            time.sleep(0.01)

    def stop(self) -> int:
        self.running = False
        self.thread.join()
        return self.peak


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/api/v1/petitions", "application/json"), ("/submit", "multipart/form-data; boundary=b")],
)
def test_a_200_mb_chunked_body_is_refused_with_413_and_memory_stays_bounded(
    intake: Served, path: str, content_type: str
) -> None:
    before = intake.rss_bytes()
    peak = PeakRss(intake)
    with intake.connect() as sock:
        head = f"POST {path} HTTP/1.1\r\nHost: t\r\nContent-Type: {content_type}\r\n".encode()
        sent, answer = _send_chunked(sock, head, 200 * MB)
    grew = peak.stop() - before
    print(f"{path}: sent {sent / MB:.0f} MB before the answer, RSS grew {grew / MB:.1f} MB")
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"field": "body"' in answer or b'"field":"body"' in answer
    assert sent < 200 * MB  # refused as soon as the limit was passed, not at the end
    assert grew < 40 * MB
    assert httpx.get(f"{intake.url}/healthz").status_code == 200


def test_a_client_sending_its_headers_byte_by_byte_is_cut_off_while_others_are_served(
    intake: Served,
) -> None:
    with intake.connect() as slow:
        started = time.monotonic()
        answer = b""
        for byte in b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Padding: " + b"a" * 100:
            try:
                slow.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                break
            assert httpx.get(f"{intake.url}/healthz").status_code == 200
            if select.select([slow], [], [], 0.2)[0]:
                answer = _read_all(slow)
                break
        took = time.monotonic() - started
    print(f"slow headers closed after {took:.1f} s: {answer[:40]!r}")
    assert answer.startswith(b"HTTP/1.1 408")


def test_a_client_sending_its_body_byte_by_byte_gets_408_while_others_are_served(
    intake: Served,
) -> None:
    with intake.connect() as slow:
        slow.sendall(
            b"POST /api/v1/petitions HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            b"Content-Length: 500\r\n\r\n{"
        )
        answer = b""
        for _ in range(200):
            assert httpx.get(f"{intake.url}/healthz").status_code == 200
            if select.select([slow], [], [], 0.2)[0]:
                answer = _read_all(slow)
                break
            slow.sendall(b" ")
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"request_timeout" in answer


def test_deeply_nested_json_is_a_clear_400_not_a_server_error(intake: Served) -> None:
    depth = 100_000
    body = '{"title": ' + "[" * depth + "]" * depth + "}"
    response = httpx.post(
        f"{intake.url}/api/v1/petitions",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0] | {"message": None} == {
        "code": "json_too_deep",
        "field": "body",
        "message": None,
    }


def test_a_very_long_title_is_refused_naming_the_field_and_its_maximum(intake: Served) -> None:
    response = httpx.post(
        f"{intake.url}/api/v1/petitions", json=PETITION | {"title": "长" * 50_000}
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["code"], error["field"]) == ("string_too_long", "title")
    assert "100" in error["message"]["en"] and "最多 100 字" in error["message"]["zh"]


@pytest.mark.parametrize("count", [6, 1500])
def test_a_form_with_too_many_files_or_fields_is_refused_with_400(
    intake: Served, count: int
) -> None:
    files = [("attachment", (f"{i}.txt", b"x", "text/plain")) for i in range(count)]
    response = httpx.post(f"{intake.url}/submit", files=files, timeout=30)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["code"], error["field"]) == ("form_too_large", "body")
    assert "maximum number of files is 5" in error["message"]["en"].lower()
    fields = {f"f{i}": "x" for i in range(count * 40)}
    response = httpx.post(f"{intake.url}/track", data=fields, timeout=30)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["code"], error["field"]) == ("form_too_large", "body")
    assert "maximum number of fields is 200" in error["message"]["en"].lower()


def test_a_nul_character_is_refused_with_422_before_it_reaches_the_database(
    intake: Served,
) -> None:
    response = httpx.post(f"{intake.url}/api/v1/petitions", json=PETITION | {"title": "a\x00bcd"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "nul_character"
