"""The last line of a run: the outcome in words, then where the details are."""

from __future__ import annotations

import pytest

from foxreach_cli.details import DetailPart, DetailStore
from foxreach_cli.render import final_line, outcome
from foxreach_cli.report import FileSummary, ImportReport
from foxreach_cli.stage_data import DUPLICATE, ERROR, INVALID, NOT_SENT, Tally

#: The merged totals a test names, and the Tally field each one is counted in here.
_MERGED = {"duplicates": "server_duplicates", "errors": "server_errors"}


def report(
    *,
    kinds: tuple[str, ...] = (),
    dry_run: bool = False,
    files: list[FileSummary] | None = None,
    stopped_because: str | None = None,
    **counts: int,
) -> ImportReport:
    """A report whose details hold one row per entry of ``kinds``."""
    store = DetailStore()
    n = len(kinds)
    store.add(DetailPart.of("a.csv", range(2, 2 + n), [""] * n, list(kinds), "recorded", "why"))
    return ImportReport(
        dry_run=dry_run,
        tally=Tally(**{_MERGED.get(k, k): v for k, v in counts.items()}),
        elapsed_seconds=1.0,
        details=store,
        files=tuple(files or ()),
        stopped_because=stopped_because,
    )


def test_the_outcome_comes_first_in_words():
    rep = report(
        rows_read=150_000, valid=145_000, created=138_076, duplicates=7_505, errors=4_419,
        kinds=(DUPLICATE, ERROR, INVALID),
    )  # fmt: skip
    assert outcome(rep) == "Imported 138,076 new leads; 7,505 duplicates and 4,419 errors"


@pytest.mark.parametrize(
    ("counts", "text"),
    [
        (dict(rows_read=1, created=1), "Imported 1 new lead; no duplicates or errors"),
        (
            dict(rows_read=10, created=5, restored=2, duplicates=1, errors=1, not_sent=1),
            "Imported 5 new leads and restored 2; 1 duplicate, 1 error and 1 not sent",
        ),
        (
            dict(rows_read=10, created=4, not_sent=6, stopped_because="interrupted"),
            "Imported 4 new leads before the run stopped; 6 not sent",
        ),
        (
            dict(dry_run=True, rows_read=200, valid=192, duplicates=3, errors=5, not_sent=192),
            "Checked 200 rows: 192 ready to send; 3 duplicates and 5 errors",
        ),
        (
            dict(dry_run=True, rows_read=2, valid=2, not_sent=2),
            "Checked 2 rows: 2 ready to send; no duplicates or errors",
        ),
        (
            dict(files=[FileSummary("a.csv", refused="no email column")]),
            "Nothing imported: 1 file refused",
        ),
        (
            dict(rows_read=3, created=2, errors=1, files=[FileSummary("a.csv", imported_at="x")]),
            "Imported 2 new leads earlier (reproduced; nothing sent now); 1 error",
        ),
        (
            dict(
                rows_read=3, created=3, files=[FileSummary("a.csv"), FileSummary("b", refused="x")]
            ),
            "Imported 3 new leads; no duplicates or errors; 1 file refused",
        ),
        (dict(), "No rows to import"),
    ],
)
def test_outcome_wording(counts, text):
    assert outcome(report(**counts)) == text


def test_the_hint_comes_only_when_there_are_rows_to_get_back():
    clean = report(rows_read=5, created=5)
    assert final_line(clean, report_path=None, rejected_path=None) == (
        "Imported 5 new leads; no duplicates or errors."
    )
    # A dry run's valid rows are "not sent", but there is nothing in them to get back.
    dry = report(dry_run=True, rows_read=5, valid=5, not_sent=5)
    assert final_line(dry, report_path=None, rejected_path=None) == (
        "Checked 5 rows: 5 ready to send; no duplicates or errors."
    )
    stopped = report(rows_read=5, created=3, not_sent=2, kinds=(NOT_SENT, NOT_SENT))
    assert final_line(stopped, report_path=None, rejected_path=None) == (
        "Imported 3 new leads; 2 not sent. Add --rejected FILE.csv to get these rows back, "
        "ready to fix."
    )


def test_the_details_are_named_where_they_were_written():
    rep = report(rows_read=4, created=2, duplicates=1, errors=1, kinds=(DUPLICATE, ERROR))
    assert final_line(rep, report_path="r.json", rejected_path="bad.csv") == (
        "Imported 2 new leads; 1 duplicate and 1 error. The 2 rows not imported are in bad.csv "
        "and the full report is in r.json."
    )
    assert final_line(rep, report_path=None, rejected_path="bad.csv") == (
        "Imported 2 new leads; 1 duplicate and 1 error. The 2 rows not imported are in bad.csv."
    )
    # The report alone does not give the rows back: say where it is, not the hint.
    assert final_line(rep, report_path="r.json", rejected_path=None) == (
        "Imported 2 new leads; 1 duplicate and 1 error. The full report is in r.json."
    )
    clean = report(rows_read=2, created=2)
    assert final_line(clean, report_path=None, rejected_path="bad.csv") == (
        "Imported 2 new leads; no duplicates or errors."
    )
    dry = report(dry_run=True, rows_read=3, valid=2, not_sent=2, errors=1, kinds=(INVALID,))
    assert final_line(dry, report_path=None, rejected_path="bad.csv") == (
        "Checked 3 rows: 2 ready to send; 1 error. The 1 row with problems is in bad.csv."
    )
