"""Where a dry run's time goes: ``foxreach import FILE --dry-run --json`` run in this process
with a timer around each stage, beside a bare ``pandas.read_csv`` of the same file.

    python benchmarks/dry_run_stages.py benchmarks/data/leads_1000000.csv

Prints one line per stage (wall seconds and share of the run) and the bare read, so a change
can be judged by the stage it touches. The stages are timed where the pipeline calls them
(reading a chunk, validation, dedup, the hygiene step, the JSON report); what is left over
(mapping, the summary, the fold of the counts) is "other". The figures are
the run's own, under no profiler, so they add up to the command's wall time within a few
hundredths of a second.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

STARTED = time.perf_counter()


def _timed(spent: Counter[str], name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - start

    return run


def _timed_iterator(
    spent: Counter[str], name: str, func: Callable[..., Iterator[Any]]
) -> Callable[..., Iterator[Any]]:
    """Times each step of a generator (a reader's chunks, the report's pieces), not the
    consumer's work between steps."""

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Iterator[Any]:
        it = func(*args, **kwargs)
        while True:
            start = time.perf_counter()
            try:
                item = next(it)
            except StopIteration:
                spent[name] += time.perf_counter() - start
                return
            spent[name] += time.perf_counter() - start
            yield item

    return run


def measure(path: str) -> tuple[Counter[str], float]:
    """The stages' seconds of one in-process dry run of ``path``, and its wall time (from
    this script's start, so the imports count)."""
    from foxreach_cli import local_stages, report
    from foxreach_cli.cli.app import main
    from foxreach_cli.dedup import Deduper
    from foxreach_cli.hygiene.stage import Hygiene
    from foxreach_cli.readers import delimited
    from foxreach_cli.readers.delimited import CsvSource

    spent: Counter[str] = Counter()
    CsvSource.chunks = _timed_iterator(spent, "read (pandas C parser)", CsvSource.chunks)
    delimited.decide_encoding = _timed(spent, "encoding check", delimited.decide_encoding)
    local_stages.validate_chunk = _timed(spent, "validate", local_stages.validate_chunk)
    Deduper.split = _timed(spent, "dedup", Deduper.split)
    Hygiene.split = _timed(spent, "hygiene", Hygiene.split)
    report.ImportReport.iter_json = _timed_iterator(
        spent, "JSON report", report.ImportReport.iter_json
    )
    spent["start-up (imports)"] = time.perf_counter() - STARTED
    sys.argv = ["foxreach", "import", path, "--dry-run", "--json"]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
        main()
    return spent, time.perf_counter() - STARTED


def bare_read(path: str) -> float:
    """Seconds of ``pandas.read_csv(path, dtype=str, keep_default_na=False)`` alone."""
    import pandas as pd

    start = time.perf_counter()
    pd.read_csv(path, dtype=str, keep_default_na=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", help="a CSV file (benchmarks/data/ holds generated ones)")
    args = parser.parse_args()
    spent, wall = measure(args.file)
    bare = bare_read(args.file)
    print(f"{'stage':<26} {'seconds':>8} {'share':>6}")
    for name, seconds in [*spent.most_common(), ("other", wall - sum(spent.values()))]:
        print(f"{name:<26} {seconds:>8.2f} {seconds / wall:>6.0%}")
    print(f"{'dry run, whole':<26} {wall:>8.2f}")
    print(f"{'bare pandas read':<26} {bare:>8.2f}   ratio {wall / bare:.2f}x")


if __name__ == "__main__":
    main()
