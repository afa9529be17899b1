"""The shared rate budget across real processes: together they stay under the limit."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.signals import read_line

REPO = Path(__file__).resolve().parents[2]

WORKER = """
    import sys, time
    from pathlib import Path
    from foxreach_cli.rate_budget import RateBudget
    from foxreach_cli.state.shared_rate_budget import SharedBudget

    state, go, count = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    budget = SharedBudget(
        RateBudget(5, 0.5), state, "c0ffee", limit=5, window=0.5
    )
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.005)
    for _ in range(count):
        sent_at = budget.acquire()
        print(repr(time.time()), flush=True)
        budget.observe(None, sent_at=sent_at)
"""


def test_concurrent_processes_together_stay_under_the_limit(tmp_path: Path) -> None:
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(WORKER), str(tmp_path / "state"), str(go), "6"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(3)
    ]
    assert [read_line(w.stdout, "a worker starting") for w in workers] == ["ready"] * 3
    go.touch()
    starts: list[float] = []
    for worker in workers:
        out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
        starts.extend(float(line) for line in out.split())
    starts.sort()
    assert len(starts) == 18
    # The server's view: no 0.5 s window holds more than 5 requests of the three together.
    # Each time is printed between the slot's start and its answer, and a slot is reused only
    # a window after the answer, so this holds however busy the machine is.
    for i in range(len(starts) - 5):
        assert starts[i + 5] - starts[i] >= 0.5, starts
    # Shared, not serialised: 18 requests start within three windows (plus slack).
    assert starts[-1] - starts[0] < 3 * 0.5 + 1.5, starts
