"""The sandbox's seeded fault draws, replayed, for exact expectations of a faulted run."""

from __future__ import annotations

from collections import Counter

from foxreach_cli.sandbox.faults import Fault, FaultInjector


def draws_until_served(
    fail_rate: float, drop_rate: float, seed: int, served: int
) -> Counter[Fault]:
    """The draws a sandbox with these settings makes until ``served`` requests are served.

    Every import request draws once and every faulted one is sent again, so this is exactly
    what a run of ``served`` batches meets, whatever order the batches arrive in (as long as
    no batch runs out of attempts).
    """
    faults = FaultInjector(fail_rate, drop_rate, seed)
    drawn: Counter[Fault] = Counter()
    while drawn[Fault.NONE] < served:
        drawn[faults.draw()] += 1
    return drawn
