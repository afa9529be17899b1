"""Per-key request budget: ``limit`` requests per ``window`` seconds, fixed or sliding.

- ``fixed``: windows are aligned to multiples of ``window`` since the epoch (the lead pages'
  "fixed 60-second window"). ``X-RateLimit-Reset`` is the end of the current window.
- ``sliding``: at most ``limit`` requests in any span of ``window`` seconds (an exact log of
  request times, the reading under which "never more than the limit in any 60-second span
  is safe" holds). ``X-RateLimit-Reset`` is when the oldest counted request leaves the
  span, i.e. when the next slot frees.

A refused request (429) is not counted. ``Retry-After`` is whole seconds, at least 1.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from .config import WindowMode


@dataclass(frozen=True)
class Decision:
    """The limiter's answer for one request, with the values for the response headers."""

    allowed: bool
    limit: int
    remaining: int
    reset: int  # unix epoch seconds, rounded up
    retry_after: int  # seconds until a request can succeed; meaningful when refused

    def headers(self) -> list[tuple[bytes, bytes]]:
        """``X-RateLimit-*`` headers (and ``Retry-After`` when refused), as ASGI pairs."""
        out = [
            (b"x-ratelimit-limit", str(self.limit).encode()),
            (b"x-ratelimit-remaining", str(self.remaining).encode()),
            (b"x-ratelimit-reset", str(self.reset).encode()),
        ]
        if not self.allowed:
            out.append((b"retry-after", str(self.retry_after).encode()))
        return out


class RateLimiter:
    """Counts requests per key; :meth:`hit` records one request if the budget allows it."""

    def __init__(
        self,
        limit: int,
        window: float,
        mode: WindowMode = "fixed",
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limit = limit
        self.window = window
        self.mode = mode
        self._clock = clock
        self._lock = threading.Lock()
        self._fixed: dict[str, tuple[float, int]] = {}
        self._log: dict[str, deque[float]] = {}

    def hit(self, key: str) -> Decision:
        """Account one request for ``key`` (unless refused) and say whether it may proceed."""
        with self._lock:
            now = self._clock()
            if self.mode == "fixed":
                return self._hit_fixed(key, now)
            return self._hit_sliding(key, now)

    def _decision(self, allowed: bool, used: int, frees_at: float, now: float) -> Decision:
        return Decision(
            allowed=allowed,
            limit=self.limit,
            remaining=max(0, self.limit - used),
            reset=math.ceil(frees_at),
            retry_after=max(1, math.ceil(frees_at - now)),
        )

    def _hit_fixed(self, key: str, now: float) -> Decision:
        start = math.floor(now / self.window) * self.window
        window_start, count = self._fixed.get(key, (start, 0))
        if window_start != start:
            count = 0
        end = start + self.window
        if count >= self.limit:
            return self._decision(False, count, end, now)
        self._fixed[key] = (start, count + 1)
        return self._decision(True, count + 1, end, now)

    def _hit_sliding(self, key: str, now: float) -> Decision:
        log = self._log.setdefault(key, deque())
        horizon = now - self.window
        while log and log[0] <= horizon:
            log.popleft()
        if len(log) >= self.limit:
            return self._decision(False, len(log), log[0] + self.window, now)
        log.append(now)
        return self._decision(True, len(log), log[0] + self.window, now)
