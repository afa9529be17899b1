"""The ETA a cron operator reads in the --log-file, held against when the run really ended.

A budget-bound import (5 requests per 2 s window) of a file whose rows vary in length and
hold quoted line breaks, so a line count is far off the rows. The log file is read as it
grows and each line is stamped on arrival (its own stamps are whole seconds).
"""

from __future__ import annotations

import csv
import random
import re
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path

ROWS = 3000
LINE = re.compile(
    r"^\S+ \S+ (?P<done>[\d,]+)/(?P<total>[\d,]+) rows done, \S+ rows/s, "
    r"ETA (?P<h>\d+):(?P<m>\d\d):(?P<s>\d\d);"
)


def varied_leads(path: Path, rows: int) -> int:
    """Leads whose notes run from nothing to a few hundred characters, every fourth over
    several lines; 2% broken emails. Returns the line breaks in the file."""
    rng = random.Random(20)
    words = ["called", "left a message", "met at the fair", "wants a demo", "budget in Q3"]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Email", "First Name", "Company", "Notes"])
        for i in range(rows):
            note = " ".join(rng.choice(words) for _ in range(rng.randrange(0, 40)))
            if i % 4 == 0:
                note = "\n".join(rng.choice(words) for _ in range(rng.randrange(2, 6)))
            email = f"broken{i}@" if i % 50 == 3 else f"lead{i}@example.com"
            w.writerow([email, f"Name{i}", "Acme", note])
    return path.read_bytes().count(b"\n")


def test_log_file_eta_is_within_the_bound_and_lines_come_often(sandbox_factory, tmp_path):
    sandbox = sandbox_factory(rate_limit=5, window=2.0, latency=0.1)
    path = tmp_path / "leads.csv"
    assert varied_leads(path, ROWS) > ROWS * 1.3  # a line count would say 30%+ more rows
    log = tmp_path / "run.log"
    cmd = [
        sys.executable, "-m", "foxreach_cli.cli", "import", str(path),
        "--base-url", sandbox.base_url, "--api-key", "otr_eta_log",
        "--state-dir", str(tmp_path / "state"), "--batch-size", "100",
        "--rate-limit", "5", "--rate-window", "2", "--fail-on", "never", "--quiet",
        "--log-file", str(log),
    ]  # fmt: skip
    arrivals: list[tuple[float, str]] = []
    seen = 0
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while True:
        running = proc.poll() is None
        text = log.read_text(encoding="utf-8") if log.exists() else ""
        complete = text[: text.rfind("\n") + 1]
        now = time.monotonic()
        arrivals += [(now, line) for line in complete[seen:].splitlines()]
        seen = len(complete)
        if not running:
            break
        assert now - started < 120, "the import did not end"
        time.sleep(0.02)
    _, err = proc.communicate()
    assert proc.returncode == 0, err

    for at, line in arrivals:
        print(f"{at - started:6.2f} {line}")
    progress = [(at, m) for at, line in arrivals if (m := LINE.match(line))]
    # The last progress line is written when the sending is over (ETA 0:00:00).
    end = progress[-1][0]
    run = end - started
    assert run > 8  # budget-bound: 30 requests at 5 per 2 s
    after = [(at, m) for at, m in progress[:-1] if at - started >= run / 10]
    assert len(after) >= 5
    for at, m in after:
        assert int(m["total"].replace(",", "")) == ROWS  # the exact count, not the line count
        eta = int(m["h"]) * 3600 + int(m["m"]) * 60 + int(m["s"])
        left = end - at
        assert abs(eta - left) <= max(0.1 * left, 2.0), (at - started, eta, left)
    # A line at least every tenth of the run (or every 10 s): never a long silence.
    stamps = [arrivals[0][0]] + [at for at, _ in progress]  # from the run's first line
    gaps = [b - a for a, b in pairwise(stamps)]
    assert max(gaps) <= max(run / 10, 1.0) + 0.5, gaps
