"""A sliding-window rate limiter per client, so query codes cannot be guessed by brute force.

It lives in the process: with N intake instances behind a balancer a client gets at most N times
the limit, still far too few tries for a 31^10 code space.
"""

from __future__ import annotations

from collections import deque
from datetime import timedelta

from xinfang.common.clock import Clock

WINDOW = timedelta(minutes=1)
MAX_CLIENTS = 100_000  # memory bound: beyond it, the stalest clients are forgotten


class RateLimiter:
    """Blocks a key once it has `per_minute` hits in the last minute."""

    def __init__(self, *, per_minute: int, clock: Clock) -> None:
        self.per_minute, self.clock = per_minute, clock
        self._hits: dict[str, deque] = {}

    def blocked(self, key: str) -> bool:
        """True while `key` has used up its hits of the last minute; records nothing."""
        now = self.clock.now()
        hits = self._hits.get(key)
        if hits is None:
            return False
        while hits and now - hits[0] >= WINDOW:
            hits.popleft()
        return len(hits) >= self.per_minute

    def record(self, key: str) -> None:
        """Count a hit for `key`."""
        now = self.clock.now()
        self._hits.setdefault(key, deque()).append(now)
        if len(self._hits) > MAX_CLIENTS:
            self._forget_stale(now)

    def _forget_stale(self, now) -> None:  # type: ignore[no-untyped-def]
        for key in [k for k, h in self._hits.items() if not h or now - h[-1] >= WINDOW]:
            del self._hits[key]
