"""Every service that consumes events sends hostile messages to its real consumers: its test hands
the app to `xinfang.common.testing.hostile`, which derives the messages from the subscriptions, so
a subject a service starts consuming is covered from that day."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "src").is_dir())


def test_every_service_that_consumes_events_has_a_hostile_message_test() -> None:
    consuming = [
        s for s in SERVICES if (ROOT / f"services/{s}/src/xinfang/{s}/consumers.py").is_file()
    ]
    assert consuming, "no service consumes events?"
    for service in consuming:
        test = ROOT / f"services/{service}/tests/integration/test_hostile_messages.py"
        assert test.is_file(), f"{service} consumes events but has no hostile-message test"
        text = test.read_text(encoding="utf-8")
        for step in ("hostile.running(", "hostile.assault(", "hostile.replay("):
            assert step in text, f"{test.relative_to(ROOT)} does not call {step}…)"
