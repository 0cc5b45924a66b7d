"""The development SMTP catcher keeps every message as an .eml file and logs it."""

from __future__ import annotations

import json
import signal
import smtplib
import socket
import subprocess
import sys
import time
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path

from xinfang.common.testing.nats_server import free_port


def wait_for_port(port: int, process: subprocess.Popen[str]) -> None:
    """Wait until the catcher accepts connections."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"devsmtp did not listen on {port}")


def test_a_caught_message_is_written_as_eml_and_logged_then_ctrl_c_stops_cleanly(
    tmp_path: Path,
) -> None:
    port, mail_dir = free_port(), tmp_path / "mail"
    command = [sys.executable, "-m", "xinfang.common.devsmtp", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--dir", str(mail_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    try:
        wait_for_port(port, process)
        message = EmailMessage()
        message["From"] = "xinfang@example.gov.cn"
        message["To"] = "lisi@example.com"
        message["Subject"] = "督办通知"
        message["Message-ID"] = "<xf-1@example.gov.cn>"
        message.set_content("请于五个工作日内报送办理情况。")
        with smtplib.SMTP("127.0.0.1", port) as client:
            client.send_message(message)
    finally:
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=10)

    assert process.returncode == 0
    assert "Traceback" not in stderr
    logged = [json.loads(line) for line in stdout.splitlines()]
    [received] = [line for line in logged if line["event"] == "mail.received"]
    assert received["to"] == ["lisi@example.com"]
    assert received["subject"] == "督办通知"
    assert received["message_id"] == "<xf-1@example.gov.cn>"
    [eml] = mail_dir.glob("*.eml")
    assert received["file"] == str(eml)
    stored = BytesParser(policy=default_policy).parsebytes(eml.read_bytes())
    assert stored["Subject"] == "督办通知"
    assert stored.get_content().strip() == "请于五个工作日内报送办理情况。"
