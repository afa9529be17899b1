"""How right the progress ETA is over a real import against the sandbox.

Starts ``foxreach sandbox serve`` in its own process with a scaled rate budget (as
``bench_import.py`` does), writes a lead file whose rows vary in length (a Notes column from
nothing to a few hundred characters, every fourth note over several lines: a line count is
far off the rows), and imports it with the plain progress lines
(``LogProgress``, what cron and ``--log-file`` get) at a short interval. Each line's stamp is
the monotonic clock, so the ETA it states (``ETA h:mm:ss``) can be held against the real time
left once the run has ended. Prints predicted vs actual remaining at 10%, 25%, 50%, 75% and
90% of the rows, and the largest error after the first tenth against the bound (10% of the
time left or 2 s, whichever is larger).

    python benchmarks/bench_eta.py                          # 150,000 rows, 50 req/10 s
    python benchmarks/bench_eta.py --limit 100 --window 60 --rows 500000
    python benchmarks/bench_eta.py --quick                  # 30,000 rows, 5 req/5 s
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import re
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_import import Settings, sandbox  # noqa: E402
from leadgen import write_leads_csv  # noqa: E402

from foxreach_cli.import_config import (  # noqa: E402
    CredentialOptions,
    build_config,
    parse_send_policy,
    parse_state,
)
from foxreach_cli.pipeline import run_import  # noqa: E402
from foxreach_cli.progress import LogProgress  # noqa: E402

SHARES = (0.10, 0.25, 0.50, 0.75, 0.90)
LINE = re.compile(
    r"^(?P<at>\d+\.\d+) (?P<done>[\d,]+)/(?P<total>[\d,]+) rows done, (?P<rate>[\d,]+|-) rows/s, "
    r"ETA (?:(?P<h>\d+):(?P<m>\d\d):(?P<s>\d\d)|-:--:--);"
)


@dataclass(frozen=True)
class Point:
    """One progress line: when, rows settled, the total, and the ETA it stated (seconds)."""

    at: float
    done: int
    total: int
    eta: float | None


NOTES = ["called", "left a message", "met at the fair", "wants a demo", "budget in Q3", "ex-IBM"]


def write_varied_leads(path: Path, rows: int, bad_share: float) -> None:
    """``leadgen``'s leads plus a Notes column whose length varies from row to row."""
    plain = path.with_suffix(".plain")
    write_leads_csv(plain, rows, bad_share=bad_share, dup_share=bad_share)
    rng = random.Random(11)
    with (
        open(plain, newline="", encoding="utf-8") as src,
        open(path, "w", newline="", encoding="utf-8") as dst,
    ):
        reader, writer = csv.reader(src), csv.writer(dst)
        writer.writerow([*next(reader), "Notes"])
        for n, row in enumerate(reader):
            if n % 4 == 0:
                note = "\n".join(rng.choice(NOTES) for _ in range(rng.randrange(2, 6)))
            else:
                note = " ".join(rng.choice(NOTES) for _ in range(rng.randrange(0, 40)))
            writer.writerow([*row, note])
    plain.unlink()


def parse(text: str) -> list[Point]:
    """The progress lines that state rows done of a total (the start line and notes have
    none)."""
    points = []
    for line in text.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        eta = None
        if m["h"] is not None:
            eta = int(m["h"]) * 3600 + int(m["m"]) * 60 + int(m["s"])
        points.append(
            Point(
                float(m["at"]),
                int(m["done"].replace(",", "")),
                int(m["total"].replace(",", "")),
                eta,
            )
        )
    return points


def run(
    args: argparse.Namespace, data: Path, base_url: str, state: Path
) -> tuple[list[Point], float, float, dict]:
    """Import ``data`` with plain progress lines every ``--interval`` s; return the lines,
    when the run started and ended, and the report."""
    cfg = build_config(
        [str(data)],
        credentials=CredentialOptions(
            api_key=f"otr_bench_eta_{uuid.uuid4().hex[:8]}", base_url=base_url
        ),
        send=parse_send_policy(
            rate_limit=args.limit, rate_window=args.window, concurrency=args.concurrency
        ),
        state=parse_state(state_dir=state),
    )
    out = io.StringIO()  # the pipeline writes progress from its calling thread only
    progress = LogProgress(out, interval=args.interval, stamp=lambda: f"{time.monotonic():.3f}")
    started = time.monotonic()
    result = run_import(cfg, progress=progress)
    end = time.monotonic()
    return parse(out.getvalue()), started, end, json.loads(result.report.to_json())


def main() -> None:
    """Parse arguments, run one import against the sandbox, print the ETA error table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, help="leads in the file (default 150,000)")
    parser.add_argument("--limit", type=int, help="requests per window (default 50)")
    parser.add_argument("--window", type=float, help="window seconds (default 10)")
    parser.add_argument("--latency", type=float, default=0.3, help="sandbox seconds per request")
    parser.add_argument("--window-mode", choices=["fixed", "sliding"], default="sliding")
    parser.add_argument("--concurrency", type=int, help="foxreach --concurrency (its default)")
    parser.add_argument("--interval", type=float, default=0.25, help="seconds between lines")
    parser.add_argument("--bad-share", type=float, default=0.03, help="invalid rows in the file")
    parser.add_argument("--quick", action="store_true", help="30,000 rows, 5 requests / 5 s")
    parser.add_argument("--json-out", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args()
    args.rows = args.rows or (30_000 if args.quick else 150_000)
    args.limit = args.limit or (5 if args.quick else 50)
    args.window = args.window or (5.0 if args.quick else 10.0)
    settings = Settings(
        rows=args.rows, limit=args.limit, window=args.window, latency=args.latency,
        concurrency=args.concurrency, peer_a_seconds=0.0, skip_peers=True, repeat=1,
    )  # fmt: skip

    data_dir = HERE / "data"
    data_dir.mkdir(exist_ok=True)
    data = data_dir / f"eta_varied_{args.rows}_{args.bad_share:g}.csv"
    if not data.exists():
        print(f"writing {data} ...", flush=True)
        tmp = data.with_suffix(".tmp")
        write_varied_leads(tmp, args.rows, args.bad_share)
        os.replace(tmp, data)

    with tempfile.TemporaryDirectory(prefix="bench_eta_") as tmp_dir:
        workdir = Path(tmp_dir)
        with sandbox(settings, args.window_mode, workdir) as base_url:
            print(f"importing {args.rows:,} rows ({args.limit} req / {args.window:g} s) ...")
            points, first, end, report = run(args, data, base_url, workdir / "state")
    print()
    print(
        f"== ETA over {args.rows:,} rows, {args.limit} requests / {args.window:g} s "
        f"({args.window_mode}), {args.latency:g} s latency: run took {end - first:.1f} s, "
        f"{report['requests']} requests, {report['rateLimited']} 429s =="
    )
    head = (
        f"{'done':>6} {'at (s)':>7} {'predicted left':>15} {'actual left':>12} "
        f"{'error':>8} {'bound':>7}"
    )
    print(head)
    print("-" * len(head))
    figures = []
    for share in SHARES:
        p = next((p for p in points if p.total and p.done / p.total >= share), None)
        if p is None or p.eta is None:
            print(f"{share:>6.0%}  (no line with an ETA)")
            continue
        actual = end - p.at
        error = p.eta - actual
        bound = max(0.1 * actual, 2.0)
        figures.append({"share": share, "at": p.at - first, "predicted": p.eta, "actual": actual})
        print(
            f"{share:>6.0%} {p.at - first:>7.1f} {p.eta:>15.0f} {actual:>12.1f} "
            f"{error:>+8.1f} {bound:>7.1f}"
        )
    tenth = first + (end - first) / 10
    after = [p for p in points if p.at >= tenth and p.eta is not None]
    worst = max(after, key=lambda p: abs(p.eta - (end - p.at)) - max(0.1 * (end - p.at), 2.0))  # type: ignore[operator]
    assert worst.eta is not None
    actual = end - worst.at
    error = worst.eta - actual
    bound = max(0.1 * actual, 2.0)
    verdict = "within" if abs(error) <= bound else "OUTSIDE"
    print(
        f"worst from the first tenth of the run on ({len(after)} lines, from {tenth - first:.1f} "
        f"s): at {worst.at - first:.1f} s predicted {worst.eta:.0f} s, actual {actual:.1f} s, "
        f"error {error:+.1f} s, bound {bound:.1f} s -> {verdict} the bound"
    )
    totals = sorted({p.total for p in after})
    print(f"the row total from the first tenth on: {totals}, rows read {report['rowsRead']:,}")
    stamps = [first] + [p.at for p in points] + [end]
    gap = max(b - a for a, b in pairwise(stamps))
    print(
        f"longest gap between lines: {gap:.1f} s (a tenth of the run: {(end - first) / 10:.1f} s)"
    )
    if args.json_out:
        args.json_out.write_text(
            json.dumps({"args": vars(args) | {"json_out": None}, "figures": figures}, default=str)
        )


if __name__ == "__main__":
    main()
