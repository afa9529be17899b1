"""How long ``foxreach`` takes to answer: the wall time of whole processes, medians of several.

    python benchmarks/bench_startup.py [--runs 9]

Each command runs in a fresh process (the installed ``foxreach`` beside this interpreter),
with a throw-away home, state directory and working directory, so no saved key, journal or
.env changes what it does. Printed per command: the median, the fastest and the slowest run,
and the budget (issue 26: 0.25 s for --help, --version, config show and runs; 0.6 s for a
one-row dry run). A baseline of the bare interpreter (``python -c pass``) is printed too:
what no command can go below.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: (label, arguments after ``foxreach``, budget in seconds)
COMMANDS: list[tuple[str, list[str], float]] = [
    ("foxreach --help", ["--help"], 0.25),
    ("foxreach --version", ["--version"], 0.25),
    ("foxreach config show", ["config", "show"], 0.25),
    ("foxreach runs", ["runs"], 0.25),
    ("foxreach import --dry-run (1 row)", ["import", "--dry-run", "one.csv"], 0.6),
]


def foxreach_command() -> list[str]:
    """The console script installed beside this interpreter (else ``python -m``)."""
    script = Path(sys.executable).with_name("foxreach")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "foxreach_cli.cli"]


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Seconds from spawning ``argv`` to its exit (which must be 0)."""
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.decode()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="runs per command (median shown)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "one.csv").write_text("email,first_name\nada@example.com,Ada\n")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("FOXREACH_")},
            "HOME": str(work / "home"),
            "XDG_STATE_HOME": str(work / "state"),
            "COLUMNS": "100",
        }
        rows = [("python -c pass (the floor)", [sys.executable, "-c", "pass"], 0.0)]
        rows += [(label, foxreach_command() + argv, budget) for label, argv, budget in COMMANDS]
        print(f"{'command':<36} {'median':>8} {'min':>8} {'max':>8} {'budget':>8}")
        for label, argv, budget in rows:
            timed(argv, work, env)  # warm the page cache and the bytecode cache
            times = [timed(argv, work, env) for _ in range(args.runs)]
            mark = "" if not budget else ("ok" if statistics.median(times) < budget else "OVER")
            print(
                f"{label:<36} {statistics.median(times):>7.3f}s {min(times):>7.3f}s "
                f"{max(times):>7.3f}s {(f'{budget:.2f}s' if budget else ''):>8} {mark}"
            )


if __name__ == "__main__":
    main()
