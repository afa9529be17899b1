"""What a columnar engine could reach: the core of each local stage in polars, beside a bare
``pandas.read_csv`` of the same file, in the same run.

    python benchmarks/columnar_probe.py benchmarks/data/leads_1000000.csv [--runs 3]

This is a probe for a design decision, not foxreach: it does not apply foxreach's rules in
full (no email-validator fallback for the addresses the fast pattern does not settle, no
mapping, no name split, no Unicode folding of opt-out words, no report). It does the work
that dominates each stage on a clean file, with the lexicon's own words, in a fresh
interpreter timed from its start (imports included, as the dry run's figure is):

- read every column as text; trim every cell;
- the email: lowercase, a syntax pattern, the domain and the local part;
- dedup: the first of each address among the valid ones;
- hygiene: role local parts (the lexicon's) and a disposable-domain set;
- the opt-out scan: every column's cells, lowercased, against the lexicon's opt-out words;
- the row details: every row that is not created, one JSON line each (polars' own writer).

It needs polars (``pip install -e '.[bench]'``). pandas' C parser has to make a Python string
of every cell, and the local stages work on those; polars (like Arrow) keeps a column's text
in one buffer and runs each step over the whole column in native code, on both cores.
Converting its columns back into Python strings costs more than the C parser does, so
reading with polars alone and keeping today's stages gains nothing: the stages must move too.
docs/benchmarks.md gives the figures and what they mean.
"""

from __future__ import annotations

import argparse
import sys

from speed_budget import BARE_CSV, child, median

#: Run in a fresh interpreter: prints the seconds of each part, from the interpreter's start.
PROBE = r"""
import sys, time, json
t0 = time.perf_counter()
import io
import polars as pl
from foxreach_cli.mapping.lexicon import lexicon
words = lexicon()
roles = sorted(words.role_locals)
opt_out = sorted(w.lower() for w in words.opt_out_values)
disposable = ["mailinator.com", "10minutemail.com", "guerrillamail.com", "yopmail.com"]
t1 = time.perf_counter()
df = pl.read_csv(sys.argv[1], infer_schema=False)
email_col = next(c for c in df.columns if "mail" in c.lower())
t2 = time.perf_counter()
trimmed = df.select(pl.all().str.strip_chars())
email = pl.col(email_col).str.to_lowercase()
pattern = (
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([a-z0-9]+(-[a-z0-9]+)*\.)+[a-z]{2,}$"
)
parts = email.str.split_exact("@", 1)
checked = trimmed.with_columns(
    email.alias("_email"),
    (email.str.contains(pattern) & (email.str.len_chars() <= 64)).alias("_valid"),
    parts.struct.field("field_0").alias("_local"),
    parts.struct.field("field_1").alias("_domain"),
)
t3 = time.perf_counter()
checked = checked.with_columns(
    (pl.col("_valid") & pl.col("_email").is_first_distinct()).alias("_created")
)
t4 = time.perf_counter()
hygiene = checked.select(
    pl.col("_local").is_in(roles).sum().alias("role"),
    pl.col("_domain").is_in(disposable).sum().alias("disposable"),
).row(0)
t5 = time.perf_counter()
longest = max(map(len, opt_out))
found = trimmed.select(
    pl.sum_horizontal(
        (pl.col(c).str.len_chars() <= longest)
        & pl.col(c).str.to_lowercase().is_in(opt_out)
        for c in df.columns
    ).alias("n")
)["n"].sum()
t6 = time.perf_counter()
details = checked.filter(~pl.col("_created")).drop("_local", "_domain")
blob = io.BytesIO()
details.write_ndjson(blob)
t7 = time.perf_counter()
print(json.dumps({
    "imports": t1 - t0, "read": t2 - t1, "validate": t3 - t2, "dedup": t4 - t3,
    "hygiene": t5 - t4, "opt-out scan": t6 - t5, "details": t7 - t6, "whole": t7 - t0,
    "rows": df.height, "not created": details.height, "hygiene counts": list(hygiene),
    "opt-out cells": int(found),
}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", help="a CSV file (benchmarks/data/ holds generated ones)")
    parser.add_argument("--runs", type=int, default=3, help="paired runs (median)")
    args = parser.parse_args()
    probes: list[dict[str, float]] = []
    bares: list[float] = []
    for n in range(args.runs):
        bares.append(child(sys.executable, BARE_CSV, args.file)["seconds"])
        probes.append(child(sys.executable, PROBE, args.file))
        print(f"  run {n + 1}: bare {bares[-1]:.2f} s, probe {probes[-1]['whole']:.2f} s")
    last = probes[-1]
    print(f"rows {int(last['rows'])}, not created {int(last['not created'])}")
    for part in ("imports", "read", "validate", "dedup", "hygiene", "opt-out scan", "details"):
        print(f"{part:<14} {median([p[part] for p in probes]):6.2f} s")
    whole = median([p["whole"] for p in probes])
    ratio = median([p["whole"] / b for p, b in zip(probes, bares, strict=True)])
    print(f"{'whole':<14} {whole:6.2f} s")
    print(f"{'bare read':<14} {median(bares):6.2f} s   ratio {ratio:.2f}x")


if __name__ == "__main__":
    main()
