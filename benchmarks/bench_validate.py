"""Micro-benchmark of the map -> validate -> dedup stages (and lead building).

Generates a realistic lead table in memory (Apollo-like headers, ~3% invalid emails, ~3%
duplicates that differ in case or whitespace, tags and custom columns), cuts it into chunks
as a reader would, and times ``validate_chunk`` + ``Deduper.split`` over all of them, then
``to_leads`` over 1000-row slices. Prints rows/s and peak memory (tracemalloc, so the peak
counts this process's Python and numpy allocations, not the interpreter itself).

    python benchmarks/bench_validate.py --rows 1000000 --chunk 50000
    python benchmarks/bench_validate.py --csv /tmp/leads.csv   # + read_csv ratio
"""

from __future__ import annotations

import argparse
import gc
import resource
import time
import tracemalloc

import numpy as np
import pandas as pd

from foxreach_cli.batch import to_leads
from foxreach_cli.dedup import Deduper
from foxreach_cli.mapping import build_mapping
from foxreach_cli.stage_data import Chunk, SourceInfo
from foxreach_cli.validate import LeadDefaults, email_verdict, validate_chunk

#: The clock every figure uses: wall time, or with --cpu this process's CPU time (steadier on
#: a machine shared with other work).
_clock = time.perf_counter

HEADERS = [
    "Email",
    "First Name",
    "Last Name",
    "Company",
    "Title",
    "Phone",
    "Person Linkedin Url",
    "Website",
    "Tags",
    "Industry",
    "Employees",
]


def email_of(j: int) -> str:
    """The (deterministic) email of global row index ``j``."""
    return f"{FIRST[j % 10].lower()}.{LAST[j * 7 % 8].lower()}{j}@{DOMAINS[j * 3 % 5]}"


FIRST = ["Alex", "Sam", "Maria", "Jose", "Li", "Priya", "Tom", "Anna", "Olu", "Kim"]
LAST = ["Smith", "Garcia", "Chen", "Okafor", "Muller", "Nguyen", "Brown", "Rossi"]
DOMAINS = ["acme.com", "globex.io", "initech.co.uk", "umbrella.org", "hooli.dev"]


def make_table(n: int, seed: int = 0, start: int = 0) -> pd.DataFrame:
    """A lead table of ``n`` rows of text cells (pandas' default string dtype).

    Rows are global indices ``start .. start + n``; duplicates repeat any earlier index, so
    consecutive tables made with growing ``start`` form one file that can be streamed.
    """
    rng = np.random.default_rng(seed)
    first = np.array(FIRST, dtype=object)
    last = np.array(LAST, dtype=object)
    company = np.array(["Acme", "Globex", "Initech", "Umbrella Corp", "Hooli", "Vandelay"])
    domains = np.array(DOMAINS, dtype=object)
    idx = np.arange(start, start + n)
    fi, li, di = idx % 10, idx * 7 % 8, idx * 3 % 5
    emails = np.array([email_of(j) for j in idx.tolist()], dtype=object)
    # ~3% duplicates of earlier rows, half in another case, half with stray spaces.
    dup = np.flatnonzero(rng.random(n) < 0.03)
    src = (rng.random(len(dup)) * (start + dup)).astype(np.int64)
    emails[dup] = [
        email_of(j).upper() if k % 2 else f" {email_of(j)} " for k, j in enumerate(src.tolist())
    ]
    # ~3% invalid: a third blank, a third common junk, a third distinct typos.
    bad = np.flatnonzero(rng.random(n) < 0.03)
    junk = np.array(["", "n/a", "-", "none", "unknown"], dtype=object)
    typos = [
        lambda i: f"john.smith{i}@acme",  # no TLD
        lambda i: f"john.smith{i}.acme.com",  # no @
        lambda i: f"john{i}@@acme.com",
        lambda i: f"john{i}@acme..com",
        lambda i: f"john smith{i}@acme.com",
        lambda i: f"john{i}@acme,com",
    ]
    for k, i in enumerate(bad.tolist()):
        if k % 3 == 2:
            emails[i] = typos[k % len(typos)](i)
        else:
            emails[i] = junk[k % len(junk)]
    tags = np.array(["vip, q1", "q1;q2", "", None, "a|b|c"], dtype=object)
    titles = np.array(["CEO", "VP Sales", " Head of RevOps ", "Engineer", None], dtype=object)
    industry = np.array(["fintech", "saas", None], dtype=object)
    table = {
        "Email": emails,
        "First Name": first[fi],
        "Last Name": last[li],
        "Company": company[rng.integers(0, len(company), n)].astype(object),
        "Title": titles[rng.integers(0, len(titles), n)],
        "Phone": [f"+1 415 555 {i % 10000:04d}" for i in idx.tolist()],
        "Person Linkedin Url": [f"https://www.linkedin.com/in/user-{i}" for i in idx.tolist()],
        "Website": [f"https://{d}" for d in domains[di].tolist()],
        "Tags": tags[rng.integers(0, len(tags), n)],
        "Industry": industry[rng.integers(0, len(industry), n)],
        "Employees": [str(i % 500) for i in idx.tolist()],
    }
    frame = pd.DataFrame(table)
    # What a CSV reader hands over: pandas' default string dtype, missing as NaN.
    return frame.astype("str").where(frame.notna())


def chunks(frame: pd.DataFrame, size: int, file: str = "leads.csv") -> list[Chunk]:
    """Cut ``frame`` into reader-like chunks (the header is row 1)."""
    out = []
    for start in range(0, len(frame), size):
        part = frame.iloc[start : start + size]
        out.append(Chunk(file, part, np.arange(start + 2, start + 2 + len(part), dtype=np.int64)))
    return out


def run(parts: list[Chunk], info: SourceInfo) -> tuple[float, int, int, int]:
    """Map + validate + dedup every chunk; returns (seconds, valid, invalid, duplicates).

    Starts cold: email-validator's cached verdicts are cleared, as in a fresh process.
    """
    email_verdict.cache_clear()
    gc.collect()
    t0 = _clock()
    mapping = build_mapping(info)
    defaults = LeadDefaults(tags=("imported",))
    deduper = Deduper()
    n_valid = n_invalid = n_dup = 0
    for chunk in parts:
        vc = validate_chunk(chunk, mapping, defaults)
        unique, dups = deduper.split(vc)
        n_valid += len(unique)
        n_invalid += len(vc.invalid)
        n_dup += len(dups)
    return _clock() - t0, n_valid, n_invalid, n_dup


def stream(total: int, size: int) -> None:
    """Validate + dedup ``total`` rows made chunk by chunk: time, and peak RSS of the process."""
    info = SourceInfo(file="big.csv", format="csv", headers=HEADERS, columns=HEADERS)
    mapping = build_mapping(info)
    deduper = Deduper()
    spent = 0.0
    counts = [0, 0, 0]
    for k, start in enumerate(range(0, total, size)):
        frame = make_table(min(size, total - start), seed=k, start=start)
        chunk = Chunk("big.csv", frame, np.arange(start + 2, start + 2 + len(frame)))
        t0 = _clock()
        vc = validate_chunk(chunk, mapping)
        unique, dups = deduper.split(vc)
        spent += _clock() - t0
        for i, part in enumerate((unique, vc.invalid, dups)):
            counts[i] += len(part)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"streamed {total:,} rows: valid {counts[0]:,}, invalid {counts[1]:,}, duplicates "
        f"{counts[2]:,}; validate+dedup {spent:.2f} s = {total / spent:,.0f} rows/s; "
        f"peak RSS of the whole process {rss:,.0f} MiB"
    )


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=50_000)
    parser.add_argument("--csv", help="also time pd.read_csv(dtype=str) of this file vs the stages")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (best is reported)")
    parser.add_argument("--cpu", action="store_true", help="measure CPU time, not wall time")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc pass")
    parser.add_argument(
        "--stream", type=int, metavar="N", help="only stream N generated rows (memory check)"
    )
    args = parser.parse_args()
    global _clock
    if args.cpu:
        _clock = time.process_time
        print("(times are CPU seconds of this process)")
    if args.stream:
        stream(args.stream, args.chunk)
        return

    frame = make_table(args.rows)
    info = SourceInfo(file="leads.csv", format="csv", headers=HEADERS, columns=HEADERS)
    parts = chunks(frame, args.chunk)
    n = len(frame)

    times = []
    for _ in range(max(1, args.repeat)):
        seconds, n_valid, n_invalid, n_dup = run(parts, info)
        times.append(seconds)
    print(
        f"rows {n:,} in chunks of {args.chunk:,}: valid {n_valid:,}, "
        f"invalid {n_invalid:,}, duplicates {n_dup:,}"
    )
    best = min(times)
    runs = ", ".join(f"{t:.3f}" for t in times)
    print(f"map+validate+dedup: best {best:.3f} s = {n / best:,.0f} rows/s (runs: {runs} s)")

    # Per stage, for the report.
    mapping = build_mapping(info)
    email_verdict.cache_clear()
    t0 = _clock()
    vcs = [validate_chunk(c, mapping) for c in parts]
    t_validate = _clock() - t0
    deduper = Deduper()
    t0 = _clock()
    uniques = [deduper.split(vc)[0] for vc in vcs]
    t_dedup = _clock() - t0
    print(
        f"  validate_chunk: {t_validate:.3f} s ({n / t_validate:,.0f} rows/s); "
        f"Deduper.split: {t_dedup:.3f} s ({n / t_dedup:,.0f} rows/s)"
    )

    t0 = _clock()
    built = 0
    for vc, unique in list(zip(vcs, uniques))[:4]:
        for start in range(0, len(unique), 1000):
            built += len(to_leads(vc.cells, unique.iloc[start : start + 1000]))
    t_leads = _clock() - t0
    print(f"to_leads: {built:,} leads in {t_leads:.3f} s = {built / t_leads * 60:,.0f} leads/min")
    del vcs, uniques

    if not args.no_memory:
        # Peak of the stages themselves, on top of the input already in memory.
        gc.collect()
        tracemalloc.start()
        run(parts, info)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"peak memory allocated by the stages: {peak / 2**20:,.1f} MiB "
            f"(input table held: {frame.memory_usage(deep=True).sum() / 2**20:,.0f} MiB)"
        )

    if args.csv:
        t0 = _clock()
        read = pd.read_csv(args.csv, dtype=str)
        t_read = _clock() - t0
        csv_info = SourceInfo(args.csv, "csv", list(read.columns), list(read.columns))
        csv_parts = chunks(read, args.chunk, args.csv)
        t_stages = min(run(csv_parts, csv_info)[0] for _ in range(max(1, args.repeat)))
        print(
            f"pd.read_csv(dtype=str): {t_read:.3f} s; stages on it: {t_stages:.3f} s; "
            f"(read + stages) / read = {(t_read + t_stages) / t_read:.2f}x"
        )


if __name__ == "__main__":
    main()
