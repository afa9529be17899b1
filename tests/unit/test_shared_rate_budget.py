"""The shared rate budget: runs on one key together never exceed the limit in any window."""

from __future__ import annotations

import json
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from foxreach_cli.rate_budget import RateBudget, RateInfo
from foxreach_cli.state.shared_rate_budget import SharedBudget

REPO = Path(__file__).resolve().parents[2]
T0 = 1_700_000_000.0


class FakeTime:
    """A wall and a monotonic clock that only move when someone sleeps."""

    def __init__(self) -> None:
        self.now = T0
        self.sleeps: list[float] = []
        self.on_sleep: Callable[[float], None] | None = None

    def wall(self) -> float:
        return self.now

    def mono(self) -> float:
        return self.now - T0 + 100.0

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if self.on_sleep is not None:
            self.on_sleep(seconds)
        self.now += max(seconds, 0.0)


def at(offset: float) -> object:
    """``T0 + offset`` to a microsecond (pytest.approx's relative default is ~30 min at T0)."""
    return pytest.approx(T0 + offset, abs=1e-6)


def make(
    state: Path,
    clock: FakeTime,
    fingerprint: str = "0123456789abcdef",
    *,
    limit: int = 5,
    window: float = 60.0,
) -> SharedBudget:
    """One process's budget: its own RateBudget wrapped in the shared log, on the fake clock."""
    inner = RateBudget(limit, window, clock=clock.mono, wall=clock.wall, sleep=clock.sleep)
    return SharedBudget(
        inner,
        state,
        fingerprint,
        limit=limit,
        window=window,
        wall=clock.wall,
        sleep=clock.sleep,
    )


def send(budget: SharedBudget, clock: FakeTime) -> float:
    """Acquire, 'send' instantly, observe; return the wall time the request started."""
    sent_at = budget.acquire()
    assert sent_at is not None
    started = clock.now
    budget.observe(None, sent_at=sent_at)
    return started


def shared_entries(state: Path, fingerprint: str = "0123456789abcdef") -> list[list[object]]:
    return json.loads((state / f"budget-{fingerprint}.json").read_text())["requests"]


def test_two_budgets_on_one_key_never_exceed_the_limit_in_any_span(tmp_path: Path) -> None:
    clock = FakeTime()
    a, b = make(tmp_path, clock), make(tmp_path, clock)
    starts = [send(a if i % 2 == 0 else b, clock) for i in range(30)]
    # Each process alone would let 5 through at once: together they may not.
    assert starts[:5] == [T0] * 5
    for i in range(len(starts) - 5):
        assert starts[i + 5] - starts[i] >= 60.0
    # ...and no slower than that (answers are instant here): six windows for 30 requests.
    assert starts[-1] == at(5 * 60.0)


def test_a_shared_entry_counts_until_a_window_after_its_answer(tmp_path: Path) -> None:
    # The server counted b's slow request somewhere between its start and its answer.
    clock = FakeTime()
    a, b = make(tmp_path, clock, limit=1), make(tmp_path, clock, limit=1)
    sent_at = b.acquire()
    assert sent_at is not None
    clock.now += 4.0
    b.observe(None, sent_at=sent_at)
    assert shared_entries(tmp_path)[0][2] == at(4.0)
    assert send(a, clock) == at(64.0)


def test_an_answered_entry_counts_until_a_window_after_the_answer_less_the_floor(
    tmp_path: Path,
) -> None:
    clock = FakeTime()
    a, b = make(tmp_path, clock, limit=2), make(tmp_path, clock, limit=2)
    fast, slow = b.acquire(), b.acquire()
    assert fast is not None and slow is not None
    clock.now += 0.5
    b.observe(None, sent_at=fast, round_trip=0.5)  # the fastest exchange: counted by T0
    clock.now += 3.5
    b.observe(None, sent_at=slow, round_trip=4.0)  # queued: counted by 4.0 - 0.5
    assert sorted(entry[2] for entry in shared_entries(tmp_path)) == [at(0.0), at(3.5)]
    # a, another process on the key, waits for those very times plus a window.
    assert send(a, clock) == at(60.0)
    assert send(a, clock) == at(63.5)


def test_a_request_in_flight_elsewhere_blocks_until_answered_plus_a_window(
    tmp_path: Path,
) -> None:
    clock = FakeTime()
    a, b = make(tmp_path, clock, limit=1), make(tmp_path, clock, limit=1)
    sent_at = b.acquire()
    assert sent_at is not None

    def answer_10s_into_the_first_wait(seconds: float) -> None:
        if sent_at in b._tokens:
            clock.now += 10.0
            b.observe(None, sent_at=sent_at)
            clock.now -= 10.0

    clock.on_sleep = answer_10s_into_the_first_wait
    # a cannot know when b's answer will come, and an answer counts for a window from then:
    # it looks again a window later, sees b answered at 10 s, and goes at 70 s.
    assert send(a, clock) == at(70.0)
    assert clock.sleeps == [pytest.approx(60.0), pytest.approx(10.0)]


def test_an_entry_left_in_flight_by_a_dead_process_lapses(tmp_path: Path) -> None:
    clock = FakeTime()
    a, dead = make(tmp_path, clock, limit=1), make(tmp_path, clock, limit=1)
    assert dead.acquire() is not None  # never answered: its process died
    assert send(a, clock) == at(120.0)  # two windows after its start


def test_a_file_of_the_older_format_is_read_as_answered_at_the_start(tmp_path: Path) -> None:
    clock = FakeTime()
    old = {"version": 1, "starts": [[T0 - 50.0, "old-1"]], "penalty_until": 0.0}
    (tmp_path / "budget-0123456789abcdef.json").write_text(json.dumps(old))
    a = make(tmp_path, clock, limit=1)
    assert send(a, clock) == at(10.0)


def test_different_keys_do_not_share(tmp_path: Path) -> None:
    clock = FakeTime()
    a, b = make(tmp_path, clock, "aaaa"), make(tmp_path, clock, "bbbb")
    starts = [send(budget, clock) for budget in (a, b) for _ in range(5)]
    assert starts == [T0] * 10
    assert clock.sleeps == []


def test_cancel_while_waiting_returns_none_and_holds_nothing(tmp_path: Path) -> None:
    clock = FakeTime()
    a, b = make(tmp_path, clock), make(tmp_path, clock)
    for _ in range(5):
        send(b, clock)
    cancel = threading.Event()
    clock.on_sleep = lambda _: cancel.set()
    assert a.acquire(cancel=cancel) is None
    assert clock.sleeps == [pytest.approx(60.0)]  # waiting for the oldest to stop counting
    assert a._inner.snapshot().used == 0  # the inner slot was given back
    assert len(shared_entries(tmp_path)) == 5  # and nothing was added to the shared log
    clock.on_sleep = None
    assert send(a, clock) == at(60.0)


class _AnnouncingCondition(threading.Condition):
    """A condition that says when someone starts waiting on it."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = threading.Event()

    def wait(self, timeout: float | None = None) -> bool:
        self.waiting.set()  # under the condition's lock: a notify cannot slip in before wait
        return super().wait(timeout)


def test_cancel_with_real_sleep_is_noticed_on_wake(tmp_path: Path) -> None:
    a = SharedBudget(RateBudget(1, 30.0), tmp_path, "feed", limit=1, window=30.0)
    b = SharedBudget(RateBudget(1, 30.0), tmp_path, "feed", limit=1, window=30.0)
    assert b.acquire() is not None
    a._cond = cond = _AnnouncingCondition()
    cancel = threading.Event()
    result: list[float | None] = []
    waiter = threading.Thread(target=lambda: result.append(a.acquire(cancel=cancel)))
    waiter.start()
    assert cond.waiting.wait(timeout=10), "the waiter never started waiting"
    assert waiter.is_alive()  # waiting for the shared slot (30 s after b's answer)
    started = time.monotonic()
    cancel.set()
    a.wake()
    waiter.join(timeout=5)
    assert not waiter.is_alive()
    assert result == [None]
    assert time.monotonic() - started < 1.0


def test_release_unused_frees_the_shared_slot(tmp_path: Path) -> None:
    clock = FakeTime()
    a, b = make(tmp_path, clock), make(tmp_path, clock)
    taken = [a.acquire() for _ in range(5)]
    assert len(shared_entries(tmp_path)) == 5
    sent_at = taken[-1]
    assert sent_at is not None
    a.release_unused(sent_at)
    assert len(shared_entries(tmp_path)) == 4
    assert send(b, clock) == T0
    assert clock.sleeps == []


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{not json",
        b"\xff\xfe\x00",
        b"[]",
        b'{"starts": 3}',
        b'{"starts": [[1, "a", 3]]}',
        b'{"requests": [[1, "a"]]}',
        b'{"requests": [["soon", "a", null]]}',
        b'{"version": 2, "requests": [[1, "a", "later"]]}',
        b'{"starts": [["soon", "a"]]}',
        b'{"version": 1, "starts": [], "penalty_until": "later"}',
    ],
)
def test_corrupt_file_is_taken_as_empty_and_rewritten(tmp_path: Path, content: bytes) -> None:
    clock = FakeTime()
    (tmp_path / "budget-0123456789abcdef.json").write_bytes(content)
    a = make(tmp_path, clock)
    assert [send(a, clock) for _ in range(5)] == [T0] * 5
    assert len(shared_entries(tmp_path)) == 5
    assert send(a, clock) == at(60.0)  # and the limit holds again


def test_a_429_in_one_process_pauses_the_others(tmp_path: Path) -> None:
    clock = FakeTime()
    a, b = make(tmp_path, clock), make(tmp_path, clock)
    a.penalise(10.0)
    assert send(b, clock) == at(10.0)


def test_snapshot_shows_what_every_process_used(tmp_path: Path) -> None:
    clock = FakeTime()
    a, b = make(tmp_path, clock), make(tmp_path, clock)
    for _ in range(3):
        send(b, clock)
    snap = a.snapshot()
    assert (snap.limit, snap.used, snap.next_slot) == (5, 3, 0.0)
    for _ in range(2):
        send(b, clock)
    snap = a.snapshot()
    assert snap.used == 5
    assert snap.next_slot == pytest.approx(60.0)
    assert snap.describe() == "0/5 req/min left, next in 60s"


def test_server_limit_lowers_the_shared_limit(tmp_path: Path) -> None:
    clock = FakeTime()
    a = make(tmp_path, clock)
    sent_at = a.acquire()
    assert sent_at is not None
    a.observe(RateInfo(limit=2, remaining=None, reset=None), sent_at=sent_at)
    assert send(a, clock) == T0
    assert send(a, clock) == at(60.0)


def test_shared_file_is_private_and_name_must_be_safe(tmp_path: Path) -> None:
    clock = FakeTime()
    send(make(tmp_path, clock), clock)
    path = tmp_path / "budget-0123456789abcdef.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    with pytest.raises(ValueError):
        make(tmp_path, clock, "../elsewhere")
