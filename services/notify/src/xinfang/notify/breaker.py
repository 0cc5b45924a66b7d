"""A circuit breaker per channel: after N failures in a row the channel is paused for a
cool-down, then one trial message decides whether it opens again. Pure; time comes in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

CLOSED, HALF_OPEN, OPEN = "closed", "half_open", "open"
STATE_VALUE = {CLOSED: 0, HALF_OPEN: 1, OPEN: 2}


@dataclass
class Breaker:
    """One channel's breaker."""

    threshold: int
    cooldown: timedelta
    failures: int = 0
    opened_at: datetime | None = None
    trial_running: bool = field(default=False)

    def state(self, now: datetime) -> str:
        if self.opened_at is None:
            return CLOSED
        return OPEN if now < self.opened_at + self.cooldown else HALF_OPEN

    def allows(self, now: datetime) -> bool:
        """Whether a message may go now; in half-open state only one trial at a time."""
        state = self.state(now)
        if state == CLOSED:
            return True
        if state == HALF_OPEN and not self.trial_running:
            self.trial_running = True
            return True
        return False

    def reopens_at(self, now: datetime) -> datetime:
        """When a message refused now should be tried again."""
        if self.opened_at is None:
            return now
        return max(now, self.opened_at + self.cooldown)

    def succeeded(self) -> None:
        self.failures, self.opened_at, self.trial_running = 0, None, False

    def failed(self, now: datetime) -> None:
        """A failure the channel is to blame for (not a refused address)."""
        self.failures += 1
        if self.trial_running or self.failures >= self.threshold:
            self.opened_at = now
        self.trial_running = False


@dataclass
class Breakers:
    """The breakers of every channel, made on first use."""

    threshold: int
    cooldown: timedelta
    by_channel: dict[str, Breaker] = field(default_factory=dict)

    def of(self, channel: str) -> Breaker:
        if channel not in self.by_channel:
            self.by_channel[channel] = Breaker(self.threshold, self.cooldown)
        return self.by_channel[channel]

    def open_channels(self, now: datetime) -> list[str]:
        """Channels paused right now (not half-open): their notices are not claimed."""
        return [name for name, b in self.by_channel.items() if b.state(now) == OPEN]
