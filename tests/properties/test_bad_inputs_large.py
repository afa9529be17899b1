"""The largest cases of the bad-input corpus: 10,000 columns, a huge cell."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.bad_corpus import WIDE_COLUMNS
from tests.unit.test_bad_inputs import LARGE_CASES, check_case, run_case


def test_10000_columns_are_all_mapped_and_kept(tmp_path: Path) -> None:
    start = time.perf_counter()
    outcome = run_case(tmp_path, "wide_10000_columns")
    elapsed = time.perf_counter() - start
    assert len(outcome.mapping) == WIDE_COLUMNS
    assert outcome.mapping[-1] == (f"c{WIDE_COLUMNS - 1}", f"customFields.c{WIDE_COLUMNS - 1}")
    assert set(outcome.errors) == {3}
    assert len(outcome.rejected[3]) == WIDE_COLUMNS + 2
    assert elapsed < 30  # about a second here; generous for a loaded CI machine


@pytest.mark.parametrize("name", LARGE_CASES)
def test_every_large_case_is_imported_or_refused_in_one_sentence(tmp_path: Path, name: str) -> None:
    check_case(tmp_path, name)
