"""Dry-run throughput and memory against a bare ``pandas.read_csv(dtype=str)`` of the same file.

    python benchmarks/bench_dry_run.py [--rows 1000000] [--rows 5000000]

For each size it generates a realistic lead export (cached under benchmarks/data/), then runs,
each in a fresh process so peak memory is its own:
  * peer: ``pandas.read_csv(path, dtype=str)`` — the bare read any script would start with;
  * foxreach: the library's full dry run (read, map, validate, dedup, report), no output.
It prints rows/s, the ratio to the bare read, and peak RSS, then the sizes side by side
(rows/s, peak RSS, and each peak against the first size's). Targets (issue 15): 1M rows at
>= 200,000 rows/s and < 300 MB; 5M rows < 400 MB and at most 1.5x the 1M peak.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from leadgen import write_leads_csv  # noqa: E402

PEER = """
import resource, sys, time
import pandas as pd
t = time.perf_counter()
df = pd.read_csv(sys.argv[1], dtype=str)
n = len(df)
el = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print({"rows": n, "seconds": el, "peak_mb": peak})
"""

OURS = """
import resource, sys, time
from foxreach_cli.import_config import RunMode, build_config
from foxreach_cli.pipeline import run_import
t = time.perf_counter()
res = run_import(build_config([sys.argv[1]], mode=RunMode(dry_run=True)))
el = time.perf_counter() - t
r = res.report.tally
assert r.rows_read == r.created + r.restored + r.duplicates + r.errors + r.not_sent
print({"rows": r.rows_read, "seconds": el, "valid": r.valid, "invalid": r.invalid,
       "dups": r.local_duplicates,
       "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
"""


def run(code: str, path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], check=True, capture_output=True, text=True
    ).stdout
    return eval(out.strip().splitlines()[-1])  # our own child's dict literal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="data rows (repeatable)")
    args = parser.parse_args()
    sizes = args.rows or [1_000_000]
    data = HERE / "data"
    data.mkdir(exist_ok=True)
    results = []
    for rows in sizes:
        path = data / f"leads_{rows}.csv"
        if not path.exists():
            t = time.perf_counter()
            write_leads_csv(path, rows)
            print(
                f"generated {path} ({path.stat().st_size / 1e6:.0f} MB) "
                f"in {time.perf_counter() - t:.1f} s"
            )
        peer = run(PEER, path)
        ours = run(OURS, path)
        ratio = ours["seconds"] / peer["seconds"]
        line = {
            "rows": rows,
            "file_mb": round(path.stat().st_size / 1e6),
            "peer_read_csv_s": round(peer["seconds"], 2),
            "peer_peak_mb": round(peer["peak_mb"]),
            "foxreach_dry_run_s": round(ours["seconds"], 2),
            "foxreach_rows_per_s": round(rows / ours["seconds"]),
            "ratio_to_bare_read": round(ratio, 2),
            "foxreach_peak_mb": round(ours["peak_mb"]),
            "valid/invalid/dups": f"{ours['valid']}/{ours['invalid']}/{ours['dups']}",
        }
        results.append(line)
        print(json.dumps(line))
    print()
    print(
        f"{'rows':>10} {'read_csv s':>10} {'dry run s':>10} {'rows/s':>10} {'ratio':>6} "
        f"{'peak MB':>8} {'peer MB':>8}"
    )
    for r in results:
        print(
            f"{r['rows']:>10,} {r['peer_read_csv_s']:>10} {r['foxreach_dry_run_s']:>10} "
            f"{r['foxreach_rows_per_s']:>10,} {r['ratio_to_bare_read']:>6} "
            f"{r['foxreach_peak_mb']:>8} {r['peer_peak_mb']:>8}"
        )
    if len(results) > 1:
        base = results[0]
        print()
        print(f"{'':>14}" + "".join(f"{r['rows']:>14,}" for r in results))
        print(f"{'rows/s':>14}" + "".join(f"{r['foxreach_rows_per_s']:>14,}" for r in results))
        print(f"{'peak MB':>14}" + "".join(f"{r['foxreach_peak_mb']:>14}" for r in results))
        ratios = [r["foxreach_peak_mb"] / base["foxreach_peak_mb"] for r in results]
        print(f"{'peak / first':>14}" + "".join(f"{x:>14.2f}" for x in ratios))


if __name__ == "__main__":
    main()
