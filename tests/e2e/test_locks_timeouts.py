"""Work locks in real time: a waiter gives up at its --lock-timeout, or gets the lock when the
holder lets go within it (tests/unit/test_locks.py holds the rest, with no wait)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from foxreach_cli.errors import LockedError
from foxreach_cli.state.locks import WorkLocks
from tests.unit.test_locks import WORK


def test_waits_up_to_the_timeout_then_refuses(tmp_path: Path) -> None:
    with WorkLocks(tmp_path, [WORK]):
        started = time.monotonic()
        with (
            pytest.raises(LockedError, match=r"waited 0\.3 s"),
            WorkLocks(tmp_path, [WORK], timeout=0.3),
        ):
            pass
        waited = time.monotonic() - started
    assert 0.3 <= waited < 1.5


def test_waiter_gets_the_lock_when_the_holder_finishes_within_the_timeout(
    tmp_path: Path,
) -> None:
    holder = WorkLocks(tmp_path, [WORK])
    holder.acquire()
    timer = threading.Timer(0.2, holder.release)
    timer.start()
    try:
        started = time.monotonic()
        with WorkLocks(tmp_path, [WORK], timeout=5) as waiter:
            assert waiter.held
        assert 0.15 <= time.monotonic() - started < 3
    finally:
        timer.join()
