"""Work locks: two runs on the same work never import at once; a dead holder blocks nobody."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from foxreach_cli.config import build_config
from foxreach_cli.errors import LockedError, UsageError
from foxreach_cli.state.locks import LOCKS_DIR, WorkLocks, lock_path
from tests.signals import read_line

WORK = "https://api.foxreach.io/api/v1#0123456789abcdef:9f86d081884c7d65"
OTHER = "https://api.foxreach.io/api/v1#0123456789abcdef:60303ae22b998861"
REPO = Path(__file__).resolve().parents[2]


def _spawn(code: str, *args: str) -> subprocess.Popen[str]:
    """A Python subprocess running ``code`` with the repo importable."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_second_run_on_same_work_is_refused_then_succeeds_after_release(tmp_path: Path) -> None:
    first = WorkLocks(tmp_path, [WORK])
    with first:
        with (
            pytest.raises(LockedError) as info,
            WorkLocks(tmp_path, [WORK], describe=lambda _: "leads.csv"),
        ):
            pytest.fail("the second run got the lock")
        assert str(info.value) == (
            "Another foxreach run is importing leads.csv to the same workspace; waited 0 s. "
            "Try again later or raise --lock-timeout."
        )
    assert not first.held
    with WorkLocks(tmp_path, [WORK]) as second:
        assert second.held


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


def test_different_work_does_not_block(tmp_path: Path) -> None:
    with WorkLocks(tmp_path, [WORK]), WorkLocks(tmp_path, [OTHER]) as other:
        assert other.held


def test_all_or_nothing_a_refused_run_keeps_none_of_its_locks(tmp_path: Path) -> None:
    first, last = sorted([WORK, OTHER])
    with WorkLocks(tmp_path, [last]):
        # The run takes `first`, then finds `last` busy: it must give `first` back (checked
        # while the refused object is still alive, so no garbage collection hides a leak).
        refused = WorkLocks(tmp_path, [last, first])
        with pytest.raises(LockedError):
            refused.acquire()
        assert not refused.held
        with WorkLocks(tmp_path, [first]) as alone:
            assert alone.held
        del refused


def test_message_names_the_work_that_is_busy(tmp_path: Path) -> None:
    names = {WORK: "a.csv", OTHER: "b.csv"}
    with (
        WorkLocks(tmp_path, [WORK]),
        pytest.raises(LockedError, match=r"importing a\.csv to"),
        WorkLocks(tmp_path, [OTHER, WORK], describe=names.__getitem__),
    ):
        pass


def test_lock_files_are_private_and_named_by_a_hash(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with WorkLocks(state, [WORK, WORK]) as locks:
        assert locks.work_ids == [WORK]
        path = lock_path(state, WORK)
        assert path.parent == state / LOCKS_DIR
        assert path.exists()
        assert not set(path.name) & set(":/#")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE((state / LOCKS_DIR).stat().st_mode) == 0o700


def test_negative_lock_timeout_is_refused_by_the_config() -> None:
    with pytest.raises(UsageError) as caught:
        build_config(["a.csv"], dry_run=True, lock_timeout=-1)
    assert caught.value.describe("--lock-timeout") == (
        "--lock-timeout must be 0 or more seconds, got -1."
    )


RACER = """
    import sys, time
    from pathlib import Path
    from foxreach_cli.errors import LockedError
    from foxreach_cli.state.locks import WorkLocks

    state, work, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    done = go.with_name("done")
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.005)
    try:
        with WorkLocks(state, [work]):
            print("imported", flush=True)
            # Keep "importing" until the test has heard from every racer.
            deadline = time.monotonic() + 20
            while not done.exists() and time.monotonic() < deadline:
                time.sleep(0.01)
    except LockedError:
        print("locked", flush=True)
"""


def test_two_processes_racing_for_the_same_work_exactly_one_imports(tmp_path: Path) -> None:
    go = tmp_path / "go"
    racers = [_spawn(RACER, str(tmp_path / "state"), WORK, str(go)) for _ in range(3)]
    try:
        assert [read_line(r.stdout, "a racer starting") for r in racers] == ["ready"] * 3
        go.touch()
        # Each racer says what it got while the winner still holds the lock.
        firsts = [read_line(r.stdout, "a racer's outcome") for r in racers]
    finally:
        (tmp_path / "done").touch()
        results = [racer.communicate(timeout=30) for racer in racers]
    for racer, (_, err) in zip(racers, results):
        assert racer.returncode == 0, err
    assert sorted(firsts) == ["imported", "locked", "locked"]


HOLDER = """
    import sys, time
    from pathlib import Path
    from foxreach_cli.state.locks import WorkLocks

    with WorkLocks(Path(sys.argv[1]), [sys.argv[2]]):
        print("held", flush=True)
        time.sleep(60)
"""


def test_a_sigkilled_holder_does_not_block_the_next_run(tmp_path: Path) -> None:
    holder = _spawn(HOLDER, str(tmp_path), WORK)
    try:
        assert read_line(holder.stdout, "the lock holder") == "held"
        with pytest.raises(LockedError), WorkLocks(tmp_path, [WORK]):
            pass
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        holder.communicate()
    assert lock_path(tmp_path, WORK).exists()  # the file stays; the OS dropped the lock
    with WorkLocks(tmp_path, [WORK], timeout=0) as after:
        assert after.held
