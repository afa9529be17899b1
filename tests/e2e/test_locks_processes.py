"""Work locks across real processes: racers for the same work, and a SIGKILLed holder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from foxreach_cli.errors import LockedError
from foxreach_cli.state.locks import WorkLocks, lock_path
from tests.signals import read_line
from tests.unit.test_locks import WORK

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
