"""How long ``foxreach`` takes to answer: the wall time of whole processes, medians of several.

    python benchmarks/bench_startup.py [--runs 9] [--baseline DIR]

Each command runs in a fresh process with a throw-away home, state directory and working
directory, so no saved key, journal or .env changes what it does. Printed per command: the
median, the fastest and the slowest run, and the budget (issue 26: 0.25 s for --help,
--version, config show and runs; 0.6 s for a one-row dry run). The bare interpreter
(``python -c pass``) is measured too: what no command can go below.

``--baseline DIR`` also runs the ``foxreach_cli`` package of another checkout (e.g. ``git
worktree add /tmp/before main``), alternating with this one run by run so that both see the
same load, and prints its medians beside these. Both are then started the same way
(``python -c`` calling ``foxreach_cli.cli.main``), not through the console script.
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
LAUNCH = "import sys; sys.argv[0] = 'foxreach'; from foxreach_cli.cli import main; main()"


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
    parser.add_argument("--baseline", type=Path, help="a checkout to compare with")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "one.csv").write_text("email,first_name\nada@example.com,Ada\n")
        # Bytecode is written as on a user's machine (a sandbox may forbid it, and every run
        # would compile foxreach's modules again); the warm-up runs write it.
        env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith("FOXREACH_") and k != "PYTHONDONTWRITEBYTECODE"
            },
            "HOME": str(work / "home"),
            "XDG_STATE_HOME": str(work / "state"),
            "COLUMNS": "100",
        }
        script = Path(sys.executable).with_name("foxreach")
        ours = [str(script)] if script.exists() and not args.baseline else None
        ours = ours or [sys.executable, "-c", LAUNCH]
        here = {**env, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        before = {**env, "PYTHONPATH": str(args.baseline.resolve())} if args.baseline else None
        rows = [("python -c pass (the floor)", [sys.executable, "-c", "pass"], 0.0)]
        rows += [(label, ours + argv, budget) for label, argv, budget in COMMANDS]
        head = f"{'command':<36} {'median':>8} {'min':>8} {'max':>8} {'budget':>8}"
        print(head + ("      " + f"{'baseline':>8}" if before else ""))
        for label, argv, budget in rows:
            timed(argv, work, here)  # warm the page cache and write the bytecode
            if before is not None:
                timed(argv, work, before)
            times, old = [], []
            for _ in range(args.runs):
                times.append(timed(argv, work, here))
                if before is not None:
                    old.append(timed(argv, work, before))
            median = statistics.median(times)
            mark = "" if not budget else ("ok" if median < budget else "OVER")
            line = (
                f"{label:<36} {median:>7.3f}s {min(times):>7.3f}s {max(times):>7.3f}s "
                f"{(f'{budget:.2f}s' if budget else ''):>8} {mark:<4}"
            )
            if old:
                line += f"  {statistics.median(old):>7.3f}s"
            print(line)


if __name__ == "__main__":
    main()
