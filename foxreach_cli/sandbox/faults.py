"""Seeded fault injection: one draw per import request decides fail, drop or serve normally.

With ``fail_rate`` f and ``drop_rate`` d, a draw ``u`` in [0, 1) means: ``u < f`` answer 500
without storing; ``f <= u < f + d`` process and commit, then close the connection without a
response; otherwise serve normally. The same seed gives the same sequence of decisions.
"""

from __future__ import annotations

import random
from enum import Enum


class Fault(Enum):
    """What happens to one import request."""

    NONE = "none"
    FAIL = "fail"  # 500 {"detail": "injected fault"}, nothing stored
    DROP = "drop"  # stored, then the TCP connection is aborted with no response


class FaultInjector:
    """Draws a :class:`Fault` per import request from ``random.Random(seed)``."""

    def __init__(self, fail_rate: float, drop_rate: float, seed: int | None) -> None:
        self.fail_rate = fail_rate
        self.drop_rate = drop_rate
        self._rng = random.Random(seed)

    def draw(self) -> Fault:
        """Decide the fate of the next import request."""
        if self.fail_rate == 0.0 and self.drop_rate == 0.0:
            return Fault.NONE
        u = self._rng.random()
        if u < self.fail_rate:
            return Fault.FAIL
        if u < self.fail_rate + self.drop_rate:
            return Fault.DROP
        return Fault.NONE
