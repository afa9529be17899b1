"""The largest cases of the bad-input corpus: 10,000 columns, a huge cell.

Each is run once (seconds each) and held both to what every case of the corpus must show
(:func:`check_outcome`, as tests/unit/test_bad_inputs.py checks the others) and to its own
promises."""

from __future__ import annotations

import time
from pathlib import Path

from foxreach_cli.read import open_source
from tests.bad_corpus import HUGE_CELL, WIDE_COLUMNS
from tests.unit.test_bad_inputs import LARGE_CASES, check_outcome, run_case


def test_each_large_case_is_checked_here() -> None:
    assert sorted(LARGE_CASES) == ["huge_cell", "wide_10000_columns"]


def test_10000_columns_are_all_mapped_and_kept(tmp_path: Path) -> None:
    start = time.perf_counter()
    outcome = run_case(tmp_path, "wide_10000_columns")
    elapsed = time.perf_counter() - start
    check_outcome(outcome, "wide_10000_columns")  # imported or refused in one sentence
    assert len(outcome.mapping) == WIDE_COLUMNS
    assert outcome.mapping[-1] == (f"c{WIDE_COLUMNS - 1}", f"customFields.c{WIDE_COLUMNS - 1}")
    assert set(outcome.errors) == {3}
    assert len(outcome.rejected[3]) == WIDE_COLUMNS + 2
    assert elapsed < 30  # about a second here; generous for a loaded CI machine


def test_a_1mb_cell_is_kept_whole_or_rejected_with_a_reason(tmp_path: Path) -> None:
    outcome = run_case(tmp_path, "huge_cell")
    check_outcome(outcome, "huge_cell")  # imported or refused in one sentence
    assert outcome.report["valid"] == 2
    long_email = "x" * HUGE_CELL + "@example.com"
    assert outcome.errors[4]["email"] == long_email  # reported in full
    assert outcome.errors[4]["reason"].startswith("invalid email: The email address is too long")
    assert outcome.rejected[4]["Email"] == long_email
    assert outcome.rejected[5]["Notes"] == "x" * HUGE_CELL  # not truncated
    # The valid row's 1 MB cell reaches the pipeline whole (the dry run sends nothing).
    with open_source(str(outcome.path)) as source:
        notes = [cell for chunk in source.chunks() for cell in chunk.frame["Notes"]]
    assert [len(cell) for cell in notes] == [HUGE_CELL, 5, 19, HUGE_CELL]
