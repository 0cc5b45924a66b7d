"""A channel for tests: keeps what it is given, and fails when told to."""

from __future__ import annotations

from xinfang.notify.channels.base import DeliveryError, OutboundMessage


class FakeChannel:
    """Records every message it accepts; `fail_next(n)` makes the next n sends fail."""

    def __init__(self, name: str = "email") -> None:
        self.name = name
        self.sent: list[OutboundMessage] = []
        self.tries = 0
        self._failures = 0
        self._permanent = False

    def fail_next(self, times: int, *, permanent: bool = False) -> None:
        """Fail the next `times` sends (a very large number: fail for good)."""
        self._failures, self._permanent = times, permanent

    async def send(self, message: OutboundMessage) -> None:
        self.tries += 1
        if self._failures > 0:
            self._failures -= 1
            raise DeliveryError("fake_failure", "told to fail", permanent=self._permanent)
        self.sent.append(message)
