"""Peak memory of a dry run of a workbook against the same rows as CSV.

    python benchmarks/bench_xlsx_memory.py [--rows 200000]

Generates the lead export as CSV (cached under benchmarks/data/) and the same cells as an
XLSX written by openpyxl (cached too), then dry-runs each in a fresh process so each peak
RSS is its own. Target (issue 15): the workbook's peak is at most 1.5x the CSV's.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from bench_dry_run import OURS, run  # noqa: E402  (the same measured dry run)
from leadgen import write_leads_csv  # noqa: E402


def write_xlsx_from_csv(csv_path: Path, xlsx_path: Path) -> None:
    """The CSV's cells, all text, on the first sheet of a new workbook."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Leads")
    with open(csv_path, encoding="utf-8", newline="") as fh:
        for cells in csv.reader(fh):
            sheet.append(cells)
    book.save(xlsx_path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="data rows")
    args = parser.parse_args()
    data = HERE / "data"
    data.mkdir(exist_ok=True)
    csv_path = data / f"leads_{args.rows}.csv"
    xlsx_path = data / f"leads_{args.rows}.xlsx"
    if not csv_path.exists():
        write_leads_csv(csv_path, args.rows)
    if not xlsx_path.exists():
        t = time.perf_counter()
        write_xlsx_from_csv(csv_path, xlsx_path)
        print(f"generated {xlsx_path} in {time.perf_counter() - t:.1f} s")
    results = {"csv": run(OURS, csv_path), "xlsx": run(OURS, xlsx_path)}
    assert results["csv"]["valid"] == results["xlsx"]["valid"], "the two files differ"
    print(f"{'format':>6} {'file MB':>8} {'dry run s':>10} {'rows/s':>10} {'peak MB':>8}")
    for kind, path in (("csv", csv_path), ("xlsx", xlsx_path)):
        r = results[kind]
        print(
            f"{kind:>6} {path.stat().st_size / 1e6:>8.0f} {r['seconds']:>10.2f} "
            f"{args.rows / r['seconds']:>10,.0f} {r['peak_mb']:>8.0f}"
        )
    ratio = results["xlsx"]["peak_mb"] / results["csv"]["peak_mb"]
    print(json.dumps({"rows": args.rows, "xlsx_to_csv_peak": round(ratio, 2)}))


if __name__ == "__main__":
    main()
