"""Every physical row is accounted for: the header is the row that reads like column names
above the leads, rows holding an email above it are refused, not dropped, and blank-looking
lines are not rows (issue 19). Each layout is checked in CSV and in an openpyxl-written XLSX.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from foxreach_cli.cli import app
from foxreach_cli.errors import InputError
from foxreach_cli.read import open_source
from foxreach_cli.reasons import SEP, ReasonCode
from foxreach_cli.stage_data import ROW_ERROR_COLUMN

runner = CliRunner()

Table = list[list[str]]
Maker = Callable[[Table], str]


def write_csv(path: Path, table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for cells in table:
        writer.writerow(cells)
    path.write_text(out.getvalue(), encoding="utf-8", newline="")
    return str(path)


def write_xlsx(path: Path, table: Table) -> str:
    book = openpyxl.Workbook()
    sheet = book.active
    for r, cells in enumerate(table, start=1):
        for c, value in enumerate(cells, start=1):
            if value != "":
                sheet.cell(row=r, column=c, value=value)
    book.save(path)
    return str(path)


WRITERS = {"csv": write_csv, "xlsx": write_xlsx}


@pytest.fixture(params=["csv", "xlsx"])
def make(request: pytest.FixtureRequest, tmp_path: Path) -> Maker:
    """Write a table as the format under test; return its path."""
    kind = request.param

    def _make(table: Table, stem: str = "leads") -> str:
        return WRITERS[kind](tmp_path / f"{stem}.{kind}", table)

    return _make


def _reason_text(cell: str) -> str:
    """The sentence of a reason a reader packed in its row-error column."""
    code, _, params = cell.partition(SEP)
    return ReasonCode.parse(code).text(ReasonCode.parse(code).unpack(params))


def leads(path: str, **options: object) -> tuple[int, list[tuple[int, str, str]]]:
    """(header row, [(row, first cell, reader's reason)]) of every data row read."""
    with open_source(path, **options) as source:
        out = []
        for chunk in source.chunks():
            frame = chunk.frame
            reasons = (
                [_reason_text(c) if c else "" for c in frame[ROW_ERROR_COLUMN]]
                if ROW_ERROR_COLUMN in frame.columns
                else [""] * len(frame)
            )
            firsts = frame.iloc[:, 0].tolist()
            out.extend(zip((int(r) for r in chunk.rows), firsts, reasons, strict=True))
        return source.info.header_row, out


def refusal(path: str) -> str:
    with pytest.raises(InputError) as caught:
        open_source(path)
    return str(caught.value)


def dry_run(path: str, *extra: str) -> tuple[int, dict]:
    result = runner.invoke(app, ["import", path, "--dry-run", "--json", *extra])
    return result.exit_code, json.loads(result.stdout)


# --------------------------------------------------------------------------- joined exports

JOINED = [
    ["Email", "First Name"],
    ["ann@example.com", "Ann"],
    ["bo@example.com", "Bo"],
    ["Email", "First Name", "Phone"],
    ["cy@example.com", "Cy", "555-0100"],
    ["di@example.com", "Di", "555-0101"],
]


def test_two_exports_joined_with_cat_are_refused_naming_the_rows(tmp_path: Path) -> None:
    # Before: the wider second header won and rows 2-3 vanished, exit 0.
    path = write_csv(tmp_path / "joined.csv", JOINED)
    assert refusal(path) == (
        f"{path}: rows 2-3 are leads under the header on row 1, but row 4 starts other column "
        "names (Email, First Name, Phone), as when two exports are joined; split the file at "
        "row 4, or pass --header-row 1 to read every row under the names on row 1 (rows that "
        "do not fit are rejected)."
    )
    result = runner.invoke(app, ["import", path, "--dry-run"])
    assert result.exit_code == 2, result.output


def test_joined_exports_in_a_workbook_are_refused_too(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "joined.xlsx", JOINED)
    assert refusal(path).startswith(f"{path}: rows 2-3 are leads under the header on row 1, ")


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_header_row_1_reads_the_joined_file_and_names_every_row(tmp_path: Path, kind: str) -> None:
    path = WRITERS[kind](tmp_path / f"joined.{kind}", JOINED)
    header_row, rows = leads(path, header_row=1)
    # A sheet is as wide as its widest row, so in a workbook the phones fit an unnamed column.
    surplus = "row has 3 cells but the header has 2" if kind == "csv" else ""
    assert header_row == 1
    assert rows == [
        (2, "ann@example.com", ""),
        (3, "bo@example.com", ""),
        (4, "Email", "the column names again (as in the header on row 1), not a lead"),
        (5, "cy@example.com", surplus),
        (6, "di@example.com", surplus),
    ]


def test_a_repeated_header_line_is_a_rejected_row_not_a_lead(make: Maker) -> None:
    path = make(
        [
            ["Email", "First Name"],
            ["ann@example.com", "Ann"],
            ["bo@example.com", "Bo"],
            ["Email", "First Name"],
            ["cy@example.com", "Cy"],
        ]
    )
    header_row, rows = leads(path)
    assert header_row == 1
    assert rows == [
        (2, "ann@example.com", ""),
        (3, "bo@example.com", ""),
        (4, "Email", "the column names again (as in the header on row 1), not a lead"),
        (5, "cy@example.com", ""),
    ]
    code, report = dry_run(path)
    assert code == 1
    assert (report["valid"], report["invalid"]) == (3, 1)
    assert [(e["row"], e["reason"]) for e in report["errorDetails"]] == [
        (4, "the column names again (as in the header on row 1), not a lead")
    ]


# --------------------------------------------------------------------------- emails above


def test_a_lead_above_the_header_without_column_names_is_refused(make: Maker) -> None:
    path = make(
        [
            ["ann@example.com", "Ann"],
            ["Email", "Name"],
            ["bo@example.com", "Bo"],
        ]
    )
    assert refusal(path) == (
        f"{path}: row 1 holds an email address (ann@example.com) above the header found on "
        "row 2, so it would not be imported; move it below row 2 or delete it, and run again."
    )


def test_a_lead_under_other_column_names_above_the_header_is_refused(make: Maker) -> None:
    path = make(
        [
            ["Mail", "Name"],
            ["ann@example.com", "Ann"],
            ["Email", "Name", "Phone"],
            ["bo@example.com", "Bo", "555-0100"],
        ]
    )
    assert refusal(path) == (
        f"{path}: row 2 holds an email address (ann@example.com) above the header found on "
        "row 3, so it would not be imported; pass --header-row 1 to read it under the column "
        "names on row 1, or move it below row 3, and run again."
    )


def test_a_file_without_a_header_row_is_refused(make: Maker) -> None:
    path = make([["ann@example.com", "Ann"], ["bo@example.com", "Bo"]])
    assert refusal(path) == (
        f"{path}: row 1 holds an email address (ann@example.com), so it is a lead, not column "
        "names; put a header row (such as Email,First Name) above it, or pass --header-row N "
        "with the row that holds the column names."
    )


def test_a_labelled_note_holding_an_address_is_a_preamble_line(make: Maker) -> None:
    path = make(
        [
            ["Exported by:", "ops@example.com"],
            ["Email", "Name"],
            ["ann@example.com", "Ann"],
        ]
    )
    with open_source(path) as source:
        choice = source.info.header_choice
    assert choice is not None
    assert choice.describe() == (
        "header on row 2 (names the email column Email, and 1 of the 1 rows under it hold an "
        "email address there); row 1 skipped: note 'Exported by:, ops@example.com'"
    )


# ----------------------------------------------------------------- rows that are not headers

GROUPED = [
    ["Person", "", "Email", "Employer", ""],
    ["First Name", "Last Name", "Email", "Company", "Title"],
    ["Ann", "Lee", "ann@example.com", "Contoso", "CEO"],
    ["Bo", "Kim", "bo@example.com", "Litware", "CTO"],
    ["Cy", "Ng", "cy@example.com", "Fabrikam", "VP"],
]


def test_a_group_row_above_the_header_is_not_the_header(make: Maker) -> None:
    # Before: row 1 was the header and the three leads got junk custom fields.
    path = make(GROUPED)
    with open_source(path) as source:
        assert source.info.headers == ["First Name", "Last Name", "Email", "Company", "Title"]
        choice = source.info.header_choice
    assert choice is not None
    assert choice.describe() == (
        "header on row 2 (names the email column Email, and 3 of the 3 rows under it hold an "
        "email address there); row 1 skipped: column names 'Person, Email, Employer'"
    )
    assert leads(path)[1] == [(3, "Ann", ""), (4, "Bo", ""), (5, "Cy", "")]
    code, report = dry_run(path)
    assert (code, report["valid"], report["invalid"]) == (0, 3, 0)
    assert report["files"][0]["headerRow"] == 2


@pytest.mark.parametrize(
    "above",
    [
        ["Sorted by", "Email"],
        ["Sorted by", "Email", "", ""],
        ["Notes:", "Email", "Phone", "Company"],
    ],
)
def test_filter_and_note_rows_naming_email_are_passed_over(make: Maker, above: list[str]) -> None:
    # Before: the filter row was the header and every row was rejected.
    path = make(
        [
            above,
            ["First Name", "Last Name", "Email", "Company"],
            ["Ann", "Lee", "ann@example.com", "Contoso"],
            ["Bo", "Kim", "bo@example.com", "Litware"],
        ]
    )
    header_row, rows = leads(path)
    assert (header_row, rows) == (2, [(3, "Ann", ""), (4, "Bo", "")])
    code, report = dry_run(path)
    assert (code, report["valid"], report["invalid"]) == (0, 2, 0)


def test_a_filter_row_as_wide_as_the_header_is_passed_over(make: Maker) -> None:
    path = make([["Sorted by", "Email"], ["Email", "Name"], ["ann@example.com", "Ann"]])
    assert leads(path) == (2, [(3, "ann@example.com", "")])


def test_title_blank_and_filter_rows_are_recorded_with_the_header(make: Maker) -> None:
    path = make(
        [
            ["Leads export"],
            [],
            ["Sorted by: Email"],
            ["Email", "First Name", "Company"],
            ["ann@example.com", "Ann", "Contoso"],
            ["bo@example.com", "Bo", "Litware"],
        ]
    )
    with open_source(path) as source:
        assert source.info.header_row == 4
        choice = source.info.header_choice
    assert choice is not None
    assert choice.describe() == (
        "header on row 4 (names the email column Email, and 2 of the 2 rows under it hold an "
        "email address there); rows 1-3 skipped: title 'Leads export', title 'Sorted by: "
        "Email', 1 blank"
    )
    assert leads(path)[1] == [(5, "ann@example.com", ""), (6, "bo@example.com", "")]


def test_a_header_below_row_30_is_suggested_with_header_row(make: Maker) -> None:
    # Issue 20: this used to end in "no email column ... pass --map".
    filters = [[f"Filter {i}", f"value {i}"] for i in range(1, 35)]
    path = make([*filters, ["Email", "Name"], ["ann@example.com", "Ann"]])
    assert refusal(path) == (
        f"{path}: no header row found in its first 30 rows, but row 35 reads like column "
        "names (Email, Name); pass --header-row 35 if the column names are there."
    )
    assert leads(path, header_row=35) == (35, [(36, "ann@example.com", "")])


# --------------------------------------------------------------------------- blank-looking lines


def test_blank_looking_lines_are_not_rows_and_keep_row_numbers(tmp_path: Path) -> None:
    # Before: rows 3-6 were rejected as "empty row" and the run exited 1.
    text = (
        "Email,Name\r\nann@example.com,Ann\r\n   \r\n\t\r\n , \r\n,,\r\nbo@example.com,Bo\r\n\x1a"
    )
    path = tmp_path / "blanks.csv"
    path.write_bytes(text.encode())
    assert leads(str(path)) == (1, [(2, "ann@example.com", ""), (7, "bo@example.com", "")])
    code, report = dry_run(str(path))
    assert (code, report["rowsRead"], report["valid"], report["invalid"]) == (0, 2, 2, 0)


def test_blank_looking_lines_on_the_slow_path_too(tmp_path: Path) -> None:
    # A row with surplus cells sends the rest of the file through the csv module.
    text = "Email,Name\nann@example.com,Ann,extra\n   \n\t\n , \nbo@example.com,Bo\n\x1a\n"
    path = tmp_path / "slow.csv"
    path.write_bytes(text.encode())
    assert leads(str(path)) == (
        1,
        [
            (2, "ann@example.com", "row has 3 cells but the header has 2"),
            (6, "bo@example.com", ""),
        ],
    )


def test_whitespace_only_workbook_rows_are_not_rows(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "blanks.xlsx",
        [["Email", "Name"], ["ann@example.com", "Ann"], [" ", "\t"], ["bo@example.com", "Bo"]],
    )
    assert leads(path) == (1, [(2, "ann@example.com", ""), (4, "bo@example.com", "")])
