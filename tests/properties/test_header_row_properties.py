"""Any preamble above a valid table (hypothesis): the header is found, row numbers shift by it."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from foxreach_cli.mapping import names_email
from foxreach_cli.read import open_source
from tests.unit.test_header_row import _CELL, EMAILS, MAX_PREAMBLE, dry_json, write


@st.composite
def valid_files(draw: st.DrawFn) -> tuple[list[str], list[list[str]]]:
    width = draw(st.integers(min_value=2, max_value=5))
    position = draw(st.integers(min_value=0, max_value=width - 1))
    others = [f"col{i}" for i in range(width - 1)]
    headers = [
        *others[:position],
        draw(st.sampled_from(["Email", "E-mail Address"])),
        *others[position:],
    ]
    rows = []
    for _ in range(draw(st.integers(min_value=0, max_value=12))):
        cells = [draw(st.sampled_from(["", "x", "Ann, Jr.", "a\nb"])) for _ in others]
        rows.append([*cells[:position], draw(st.sampled_from(EMAILS)), *cells[position:]])
    return headers, rows


@st.composite
def preambles(draw: st.DrawFn, width: int) -> list[list[str]]:
    """Up to MAX_PREAMBLE rows narrower than the header: notes, titles, key/value lines."""
    lines = []
    for _ in range(draw(st.integers(min_value=0, max_value=MAX_PREAMBLE))):
        n = draw(st.integers(min_value=0, max_value=width - 1))
        cells = [draw(_CELL) for _ in range(n)]
        assume(not any(names_email(cell) for cell in cells))
        lines.append(cells)
    return lines


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for cells in rows:
        if cells:
            writer.writerow(cells)
        else:
            out.write("\n")  # csv.writer writes "" as a quoted empty cell; a blank line here
    return out.getvalue()


def _outcome(report: dict) -> tuple[Any, ...]:
    return (
        report["rowsRead"],
        report["valid"],
        report["invalid"],
        report["localDuplicates"],
        sorted((e["row"], e["reason"]) for e in report["errorDetails"]),
        sorted((d["row"], d["email"]) for d in report["duplicateDetails"]),
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), table=valid_files())
def test_any_preamble_shifts_row_numbers_by_its_length(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, table: Any
) -> None:
    headers, rows = table
    preamble = data.draw(preambles(len(headers)))
    tmp = tmp_path_factory.mktemp("preamble")
    plain = write(tmp / "plain.csv", _csv([headers, *rows]))
    shifted = write(tmp / "shifted.csv", _csv([*preamble, headers, *rows]))

    before, after = dry_json(plain), dry_json(shifted)
    n = len(preamble)
    assert after["rowsRead"] == before["rowsRead"]
    assert (after["valid"], after["invalid"], after["localDuplicates"]) == (
        before["valid"],
        before["invalid"],
        before["localDuplicates"],
    )
    moved = _outcome(before)
    moved = (
        *moved[:4],
        [(row + n, reason) for row, reason in moved[4]],
        [(row + n, email) for row, email in moved[5]],
    )
    assert _outcome(after) == moved
    with open_source(shifted) as source:
        assert source.info.header_row == n + 1
        assert source.info.headers == headers
