"""The rate budget on the real clock, with threads (every other budget test steps a fake one)."""

from __future__ import annotations

import threading
import time

from foxreach_cli.rate_budget import RateBudget


def test_real_clock_threads_respect_the_window() -> None:
    """With the real clock and several threads, starts never exceed the limit per span."""
    budget = RateBudget(limit=4, window=0.15)
    starts: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(3):
            sent = budget.acquire()
            assert sent is not None
            time.sleep(0.01)
            budget.observe(None, sent_at=sent)
            with lock:
                starts.append(sent)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=5)
    starts.sort()
    assert len(starts) == 12
    for i in range(len(starts) - 4):
        assert starts[i + 4] - starts[i] >= 0.15
