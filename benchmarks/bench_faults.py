"""The fault matrix at a larger size, printed as a table.

Runs every case of the fault matrix (``fault_matrix.py``: 500s, dropped connections after storing,
answers later than the timeout, a 429 storm, the plan limit, a poisoned row, the key revoked
mid-run) with the real CLI as a subprocess against the real sandbox, then prints per case what
the sandbox holds against what the report says, and the three verdicts: nothing lost, nothing
stored twice, report == sandbox.

The case table, the runner and the verdict come from ``fault_matrix.py``, which the test suite
runs at a smaller size: the benchmark judges exactly what the test judges, and imports no test
module.

    python benchmarks/bench_faults.py                 # 10,000 leads per case
    python benchmarks/bench_faults.py --rows 2500 --cases server_500,poisoned_422
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from fault_matrix import CASES, VERDICTS, CaseRun, run_case, verdicts  # noqa: E402

COLUMNS = (
    ("case", 20),
    ("leads", 6),
    ("stored", 6),
    ("created", 7),
    ("dupFromRetries", 14),
    ("notSent", 7),
    ("errors", 6),
    ("requests", 8),
    ("retries", 7),
    ("429s", 5),
    ("exit", 4),
    ("elapsed", 7),
    ("verdict", 0),
)


def row(run: CaseRun) -> list[str]:
    """One table row of a finished case."""
    r = run.report
    judged = verdicts(run)
    verdict = (
        "ok"
        if all(judged.values())
        else "FAIL: " + ", ".join(name for name in VERDICTS if not judged[name])
    )
    if r:
        figures = [r["created"], r["duplicatesFromRetries"], r["notSent"], r["errors"],
                   r["requests"], r["retries"], r["rateLimited"]]  # fmt: skip
    else:
        figures = ["?"] * 7
    return [
        run.case.id,
        str(run.rows),
        str(len(run.stored)),
        *(str(x) for x in figures),
        f"{run.exit_code}/{run.case.exit_code}",
        f"{run.elapsed:.1f}s",
        verdict,
    ]


def render(cells: list[str]) -> str:
    """Cells padded to the column widths."""
    return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, (_, w)) in
                     enumerate(zip(cells, COLUMNS)))  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Run the matrix and print the table; exit 1 if any case broke a promise."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000, help="leads per case")
    parser.add_argument("--cases", default="", help="comma-separated case ids (default: all)")
    args = parser.parse_args(argv)
    wanted = {c for c in args.cases.split(",") if c}
    unknown = wanted - {c.id for c in CASES}
    if unknown:
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    print(render([name for name, _ in COLUMNS]))
    failed = []
    with tempfile.TemporaryDirectory(prefix="foxreach-faults-") as tmp:
        for case in CASES:
            if wanted and case.id not in wanted:
                continue
            run = run_case(case, Path(tmp) / case.id, rows=args.rows)
            print(render(row(run)), flush=True)
            if run.problems:
                failed.append(run)
    print("\nexit is actual/expected; verdict: " + " / ".join(VERDICTS))
    for run in failed:
        print(f"\n{run.case.id}:")
        for problem in run.problems:
            print(f"  - {problem}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
