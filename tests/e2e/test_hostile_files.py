"""Hostile files in a real child process: each run ends in bounded time and memory (the CLI's own
peak RSS, measured with os.wait4, against a one-row baseline)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.bad_corpus import write_case

ROOT = Path(__file__).resolve().parents[2]

#: Extra memory a hostile file may cost over a tiny one, and the time a run may take.
MEMORY_HEADROOM_MB = 150
TIME_LIMIT_S = 60


def _run_child(path: Path) -> tuple[int, float, float]:
    """Run the CLI on ``path`` in a child process; return (exit code, seconds, max RSS MB).

    ``os.wait4`` gives this child's own peak RSS (RUSAGE_CHILDREN would mix in every child
    the test process ever had). A timer kills a child that runs too long: a hang fails.
    """
    start = time.perf_counter()
    with open(path.parent / "child.out", "wb") as out:
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "foxreach_cli.cli",
                "import",
                str(path),
                "--dry-run",
                "--json",
                "--fail-on",
                "never",
                "--no-resume",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=ROOT,
            env={**os.environ, "COLUMNS": "200"},
        )
        timer = threading.Timer(TIME_LIMIT_S, child.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)
        finally:
            timer.cancel()
        child.returncode = os.waitstatus_to_exitcode(status)
    output = (path.parent / "child.out").read_text(errors="replace")
    assert "Traceback" not in output
    return child.returncode, time.perf_counter() - start, usage.ru_maxrss / 1024


@pytest.fixture(scope="module")
def baseline_rss(tmp_path_factory: pytest.TempPathFactory) -> float:
    tiny = tmp_path_factory.mktemp("tiny") / "tiny.csv"
    tiny.write_text("Email\nann@example.com\n")
    code, _, rss = _run_child(tiny)
    assert code == 0
    return rss


def _big_unterminated_quote(directory: Path) -> Path:
    # A quote opened in the first data row, then 200,000 rows (6 MB) it swallows.
    path = directory / "open_quote_big.csv"
    body = b"".join(b"user%d@example.com,Name %d\n" % (i, i) for i in range(200_000))
    path.write_bytes(b'Email,Name\nann@example.com,"never closed\n' + body)
    return path


@pytest.mark.parametrize(
    ("name", "code"),
    [("huge_cell", 0), ("wide_10000_columns", 0), ("no_line_break", 2), ("big_open_quote", 2)],
)
def test_hostile_files_finish_in_bounded_time_and_memory(
    tmp_path: Path, baseline_rss: float, name: str, code: int
) -> None:
    path = (
        _big_unterminated_quote(tmp_path)
        if name == "big_open_quote"
        else write_case(tmp_path, name)
    )
    exit_code, seconds, rss = _run_child(path)
    assert exit_code == code, (path.parent / "child.out").read_text()[:500]
    assert seconds < TIME_LIMIT_S
    assert rss < baseline_rss + MEMORY_HEADROOM_MB, (rss, baseline_rss)
