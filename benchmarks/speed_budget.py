"""The speed budget in one command: dry-run ratio, start-up, workbooks and live, as one table.

    python benchmarks/speed_budget.py                      # everything, medians of 3 runs
    python benchmarks/speed_budget.py --only dry,startup   # a part
    python benchmarks/speed_budget.py --python OTHER/.venv/bin/python   # another checkout

Every figure is measured in fresh processes of the interpreter given by ``--python`` (default:
this one), so two checkouts are compared by running this script once with each venv. Each
ratio pairs its two sides in the same run, one after the other, and takes the median of
``--runs`` pairs, so a busy machine moves both sides alike. docs/benchmarks.md says how to
read the table; the bars are those of docs/benchmarks.md ("The speed budget").

- **dry**: ``foxreach import FILE --dry-run --json`` (every default on, the JSON report with
  every row detail written to a file) against ``pandas.read_csv(FILE, dtype=str,
  keep_default_na=False)`` timed around the call alone, on the realistic generator's file and
  on an uneven one (long notes, many columns, non-ASCII); wall time of the whole command,
  start-up included.
- **startup**: ``--help``, ``--version``, ``config show``, ``runs`` and a one-row dry run.
- **xlsx**: a workbook dry run against the cost model "CSV dry run - bare CSV read + a raw
  python-calamine read of the workbook" on the same rows; ODS (the same rows) and XLS (at
  most 60,000 rows: the format holds 65,536) measured the same way and stated beside it.
- **live**: ``bench_import.py`` at the scaled budget (50 requests / 15 s sliding, 0.3 s
  latency, 150,000 leads, with the naive peer) and, with ``--live real``, at the API's own
  100 / 60 s with 200,000 leads.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from leadgen import write_leads_csv, write_uneven_csv  # noqa: E402

DATA = HERE / "data"

#: Runs a command and prints its wall seconds and the peak RSS (MB) of the command's process.
TIMED = """
import json, resource, subprocess, sys, time
out = open(sys.argv[1], "wb")
t = time.perf_counter()
code = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.DEVNULL).returncode
seconds = time.perf_counter() - t
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = usage.ru_utime + usage.ru_stime
print(json.dumps({"seconds": seconds, "code": code, "peak_mb": usage.ru_maxrss / 1024, "cpu": cpu}))
"""

#: The bare read any script starts with, timed around the call alone.
BARE_CSV = """
import json, sys, time
import pandas as pd
t, c = time.perf_counter(), time.process_time()
n = len(pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False))
print(json.dumps({"seconds": time.perf_counter() - t, "cpu": time.process_time() - c, "rows": n}))
"""

#: python-calamine's raw read of a workbook's first sheet (values only, no formats).
BARE_CALAMINE = """
import json, sys, time
from python_calamine import CalamineWorkbook
t, c = time.perf_counter(), time.process_time()
book = CalamineWorkbook.from_path(sys.argv[1])
n = len(book.get_sheet_by_index(0).to_python())
print(json.dumps({"seconds": time.perf_counter() - t, "cpu": time.process_time() - c, "rows": n}))
"""


@dataclass(frozen=True)
class Row:
    """One line of the final table."""

    measure: str
    value: str
    bar: str
    verdict: str


def child(python: str, code: str, *args: str, env: dict[str, str] | None = None) -> dict:
    """Run ``code`` in a fresh interpreter and return the JSON it printed last."""
    done = subprocess.run(
        [python, "-c", code, *args], check=True, capture_output=True, text=True, env=env
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def foxreach(python: str) -> str:
    """The ``foxreach`` command installed beside ``python``."""
    command = Path(python).with_name("foxreach")
    if not command.exists():
        raise SystemExit(f"no foxreach command beside {python}: install the project there")
    return str(command)


def timed(python: str, argv: list[str], env: dict[str, str], out: Path) -> dict:
    """Wall seconds, exit code and peak RSS of one command, its stdout written to ``out``."""
    return child(python, TIMED, str(out), *argv, env=env)


def median(values: list[float]) -> float:
    """The median, the figure every line of the table reports."""
    return statistics.median(values)


def cached(path: Path, make: Callable[[Path], object]) -> Path:
    """Make a data file once; later runs measure the same bytes."""
    if not path.exists():
        print(f"writing {path.name} ...", flush=True)
        tmp = path.with_name(path.name + ".tmp")
        make(tmp)
        os.replace(tmp, path)
    return path


def quiet_env(home: Path) -> dict[str, str]:
    """An environment with its own HOME and state, no key, and no terminal colours. Bytecode
    is written as on a user's machine: with PYTHONDONTWRITEBYTECODE (some sandboxes set it)
    every start-up would compile foxreach's modules again."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("FOXREACH_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(HOME=str(home), XDG_STATE_HOME=str(home / "state"), NO_COLOR="1")
    env.update(XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"))
    env.update(XDG_CACHE_HOME=str(home / "cache"))
    return env


def dry_ratio(python: str, path: Path, runs: int, work: Path, label: str) -> list[Row]:
    """Paired runs of the bare read and our dry run of one file; the median ratio."""
    env = quiet_env(work)
    bare: list[float] = []
    ours: list[float] = []
    peaks: list[float] = []
    for n in range(runs):
        bare.append(child(python, BARE_CSV, str(path))["seconds"])
        report = work / "report.json"
        got = timed(
            python, [foxreach(python), "import", str(path), "--dry-run", "--json"], env, report
        )
        if got["code"] not in (0, 1):
            raise SystemExit(f"the dry run of {path.name} exited {got['code']}")
        ours.append(got["seconds"])
        peaks.append(got["peak_mb"])
        print(f"  {label} run {n + 1}: bare {bare[-1]:.2f} s, dry run {ours[-1]:.2f} s", flush=True)
    ratio = median([o / b for o, b in zip(ours, bare, strict=True)])
    return [
        Row(
            f"dry run / bare read, {label}",
            f"{ratio:.2f}x  ({median(ours):.2f} s / {median(bare):.2f} s)",
            "<= 1.5x",
            "meets" if ratio <= 1.5 else "MISSES",
        ),
        Row(f"dry run peak RSS, {label}", f"{median(peaks):.0f} MB", "flat", ""),
    ]


def startup(python: str, runs: int, work: Path) -> list[Row]:
    """Median wall time of the commands that must answer at once, and a one-row dry run."""
    env = quiet_env(work)
    one = work / "one.csv"
    one.write_text("email,first name\nann@example.com,Ann\n", encoding="utf-8")
    fox = foxreach(python)
    commands = {
        "--help": ([fox, "--help"], 0.25),
        "--version": ([fox, "--version"], 0.25),
        "config show": ([fox, "config", "show"], 0.25),
        "runs": ([fox, "runs"], 0.25),
        "one-row dry run": ([fox, "import", str(one), "--dry-run", "--quiet"], 0.6),
    }
    rows = []
    for name, (argv, bar) in commands.items():
        times = [timed(python, argv, env, work / "out.txt")["seconds"] for _ in range(max(runs, 5))]
        took = median(times)
        verdict = "meets" if took < bar else "MISSES"
        rows.append(Row(f"start-up: foxreach {name}", f"{took:.3f} s", f"< {bar:g} s", verdict))
    return rows


def write_xlsx(csv_path: Path, xlsx_path: Path) -> None:
    """The CSV's rows as a workbook a CRM would export: numbers with formats, text as text."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Leads")
    with open(csv_path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        sheet.append([*next(reader), "Revenue", "Since"])
        for n, cells in enumerate(reader):
            revenue = WriteOnlyCell(sheet, value=1000 + n * 7.25)
            revenue.number_format = "#,##0.00"
            since = WriteOnlyCell(sheet, value=40000 + n % 5000)
            since.number_format = "yyyy-mm-dd"
            sheet.append([*cells, revenue, since])
    book.save(xlsx_path)


def csv_of_xlsx(python: str, xlsx_path: Path, csv_path: Path) -> None:
    """The same rows as CSV, as the workbook displays them (read by foxreach's own reader)."""
    code = """
import csv, json, sys
from foxreach_cli.read import open_source
src = open_source(sys.argv[1])
with open(sys.argv[2], "w", encoding="utf-8", newline="") as fh:
    w = csv.writer(fh)
    w.writerow(src.info.headers)
    for chunk in src.chunks():
        w.writerows(chunk.frame.itertuples(index=False, name=None))
print(json.dumps({}))
"""
    child(python, code, str(xlsx_path), str(csv_path))


def write_ods(csv_path: Path, ods_path: Path) -> None:
    """The CSV's rows as LibreOffice saves them: text cells, and the same amounts and dates as
    the workbook with their displayed text (``text:p``) beside the value."""
    import datetime as dt
    from xml.sax.saxutils import escape

    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    )

    def text_cell(value: str) -> str:
        if not value:
            return "<table:table-cell/>"
        return (
            f'<table:table-cell office:value-type="string"><text:p>{escape(value)}</text:p>'
            "</table:table-cell>"
        )

    with zipfile.ZipFile(ods_path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet"
        )
        archive.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:'
            'oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
            '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/'
            'vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path='
            '"content.xml" manifest:media-type="text/xml"/></manifest:manifest>',
        )
        with archive.open("content.xml", "w") as out, open(csv_path, encoding="utf-8") as fh:
            out.write(
                f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} '
                'office:version="1.2"><office:body><office:spreadsheet>'
                '<table:table table:name="Leads">'.encode()
            )
            reader = csv.reader(fh)
            header = [*next(reader), "Revenue", "Since"]
            out.write(
                (
                    "<table:table-row>" + "".join(map(text_cell, header)) + "</table:table-row>"
                ).encode()
            )
            for n, cells in enumerate(reader):
                revenue = 1000 + n * 7.25
                since = dt.date(1899, 12, 30) + dt.timedelta(days=40000 + n % 5000)
                row = "".join(map(text_cell, cells))
                row += (
                    f'<table:table-cell office:value-type="float" office:value="{revenue!r}">'
                    f"<text:p>{revenue:,.2f}</text:p></table:table-cell>"
                    f'<table:table-cell office:value-type="date" office:date-value='
                    f'"{since.isoformat()}"><text:p>{since.isoformat()}</text:p>'
                    "</table:table-cell>"
                )
                out.write(f"<table:table-row>{row}</table:table-row>".encode())
            out.write(
                b"</table:table></office:spreadsheet></office:body></office:document-content>"
            )


def write_xls(csv_path: Path, xls_path: Path, rows: int) -> None:
    """The CSV's first ``rows`` rows as an Excel 97 workbook (xlwt), with the same formats."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Leads")
    amount = xlwt.easyxf(num_format_str="#,##0.00")
    day = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    with open(csv_path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        for c, value in enumerate([*next(reader), "Revenue", "Since"]):
            sheet.write(0, c, value)
        for n, cells in enumerate(reader):
            if n >= rows:
                break
            for c, value in enumerate(cells):
                if value:
                    sheet.write(n + 1, c, value)
            sheet.write(n + 1, len(cells), 1000 + n * 7.25, amount)
            sheet.write(n + 1, len(cells) + 1, 40000 + n % 5000, day)
    book.save(str(xls_path))


def workbook_ratio(
    python: str, kind: str, book: Path, flat: Path, runs: int, work: Path, rows: int
) -> list[Row]:
    """A workbook dry run against the cost model "CSV dry run - bare CSV read + a raw
    python-calamine read of the workbook" on the same rows, medians of paired runs."""
    env = quiet_env(work)
    fox = foxreach(python)
    ratios, book_times, models, cpu_ratios = [], [], [], []
    for n in range(runs):
        bare = child(python, BARE_CSV, str(flat))
        csv_dry = timed(
            python, [fox, "import", str(flat), "--dry-run", "--json"], env, work / "r.json"
        )
        raw = child(python, BARE_CALAMINE, str(book))
        book_dry = timed(
            python, [fox, "import", str(book), "--dry-run", "--json"], env, work / "r.json"
        )
        model = csv_dry["seconds"] - bare["seconds"] + raw["seconds"]
        ratios.append(book_dry["seconds"] / model)
        book_times.append(book_dry["seconds"])
        models.append(model)
        # The same model in CPU seconds: steadier than wall time on a busy machine.
        cpu_model = csv_dry["cpu"] - bare["cpu"] + raw["cpu"]
        cpu_ratios.append(book_dry["cpu"] / cpu_model)
        print(
            f"  {kind} run {n + 1}: dry run {book_dry['seconds']:.2f} s, model {model:.2f} s "
            f"(csv dry {csv_dry['seconds']:.2f} - bare {bare['seconds']:.2f} + calamine "
            f"{raw['seconds']:.2f}); CPU {book_dry['cpu']:.2f} s / {cpu_model:.2f} s",
            flush=True,
        )
    ratio = median(ratios)
    bar = "<= 1.3x" if kind == "xlsx" else "stated"
    verdict = ("meets" if ratio <= 1.3 else "MISSES") if kind == "xlsx" else ""
    return [
        Row(
            f"{kind.upper()} dry run / cost model, {rows:,} rows",
            f"{ratio:.2f}x  ({median(book_times):.2f} s / {median(models):.2f} s)",
            bar,
            verdict,
        ),
        Row(f"{kind.upper()} the same in CPU seconds", f"{median(cpu_ratios):.2f}x", "", ""),
    ]


def xlsx(python: str, rows: int, runs: int, work: Path) -> list[Row]:
    """The XLSX dry run against its cost model; ODS (same rows) and XLS (its 65,536-row
    limit: at most 60,000 rows) measured the same way and stated beside it."""
    source = cached(DATA / f"leads_{rows}.csv", lambda p: write_leads_csv(p, rows))
    book = cached(DATA / f"leads_{rows}.xlsx", lambda p: write_xlsx(source, p))
    flat = cached(DATA / f"leads_{rows}_as_shown.csv", lambda p: csv_of_xlsx(python, book, p))
    out = workbook_ratio(python, "xlsx", book, flat, runs, work, rows)
    ods = cached(DATA / f"leads_{rows}.ods", lambda p: write_ods(source, p))
    ods_flat = cached(
        DATA / f"leads_{rows}_ods_as_shown.csv", lambda p: csv_of_xlsx(python, ods, p)
    )
    out += workbook_ratio(python, "ods", ods, ods_flat, runs, work, rows)
    few = min(rows, 60_000)
    xls = cached(DATA / f"leads_{few}.xls", lambda p: write_xls(source, p, few))
    xls_flat = cached(DATA / f"leads_{few}_xls_as_shown.csv", lambda p: csv_of_xlsx(python, xls, p))
    out += workbook_ratio(python, "xls", xls, xls_flat, runs, work, few)
    return out


def live(python: str, which: str) -> list[Row]:
    """bench_import.py's runs; the share of the ideal schedule and the 429s."""
    plans = []
    if which in ("scaled", "both"):
        plans.append(
            (
                "scaled 50/15 s sliding, 150k",
                0.92,
                [
                    "--rows",
                    "150000",
                    "--limit",
                    "50",
                    "--window",
                    "15",
                    "--window-mode",
                    "sliding",
                    "--peer-a-seconds",
                    "20",
                ],
            )
        )
    if which in ("real", "both"):
        plans.append(
            (
                "real 100/60 s, 200k",
                0.95,
                [
                    "--rows",
                    "200000",
                    "--limit",
                    "100",
                    "--window",
                    "60",
                    "--window-mode",
                    "sliding",
                    "--skip-peers",
                ],
            )
        )
    rows = []
    for label, bar, args in plans:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "live.json"
            subprocess.run(
                [python, str(HERE / "bench_import.py"), *args, "--json-out", str(out)], check=True
            )
            results = json.loads(out.read_text())["results"]["sliding"]
        for r in results:
            share, limited = float(r["share"]), int(r["rate_limited"])
            ours = str(r["name"]).startswith("foxreach")
            verdict = ("meets" if share >= bar and limited == 0 else "MISSES") if ours else "peer"
            rows.append(
                Row(
                    f"live {label}: {r['name']}",
                    f"{share:.1%} of ideal, {limited} x 429",
                    f">= {bar:.0%}, 0 x 429" if ours else "",
                    verdict,
                )
            )
    return rows


def print_table(rows: list[Row]) -> None:
    """The table the closing note quotes."""
    width = max(len(r.measure) for r in rows)
    value = max(len(r.value) for r in rows)
    print()
    print(f"{'measure':<{width}}  {'value':<{value}}  {'bar':<16}  verdict")
    print("-" * (width + value + 34))
    for r in rows:
        print(f"{r.measure:<{width}}  {r.value:<{value}}  {r.bar:<16}  {r.verdict}")


def main() -> None:
    """Parse the options, run the parts asked for, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable, help="the checkout's interpreter")
    parser.add_argument("--only", default="dry,startup,xlsx,live", help="parts, comma-separated")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the dry-run files")
    parser.add_argument("--xlsx-rows", type=int, default=200_000, help="rows of the workbook")
    parser.add_argument("--runs", type=int, default=3, help="paired runs per ratio (median)")
    parser.add_argument("--live", choices=["scaled", "real", "both"], default="scaled")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    DATA.mkdir(exist_ok=True)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="speed_budget_") as tmp:
        work = Path(tmp)
        if "startup" in parts:
            print("start-up ...", flush=True)
            rows += startup(args.python, args.runs, work)
        if "dry" in parts:
            n = args.rows
            real = cached(DATA / f"leads_{n}.csv", lambda p: write_leads_csv(p, n))
            uneven = cached(DATA / f"uneven_{n}.csv", lambda p: write_uneven_csv(p, n))
            print("dry run, realistic ...", flush=True)
            rows += dry_ratio(args.python, real, args.runs, work, f"realistic {n:,}")
            print("dry run, uneven ...", flush=True)
            rows += dry_ratio(args.python, uneven, args.runs, work, f"uneven {n:,}")
        if "xlsx" in parts:
            print("workbooks ...", flush=True)
            rows += xlsx(args.python, args.xlsx_rows, args.runs, work)
        if "live" in parts:
            print("live ...", flush=True)
            rows += live(args.python, args.live)
    print_table(rows)


if __name__ == "__main__":
    main()
