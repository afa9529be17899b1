"""Hostile input: every case of the bad-input corpus (``tests/bad_corpus.py``) through the CLI.

Each case gets one of the two documented behaviours: import what can be imported and reject
the rest with reasons (exit 0 here, with ``--fail-on never``), or refuse the file with one
clear sentence on stderr and exit 2. Never a traceback, never a hang, memory bounded.

=============================  =============================================================
case                           behaviour
=============================  =============================================================
0-byte file                    exit 2: "FILE is empty (0 bytes)."
header only                    exit 0: 0 rows read, mapping reported
no email column                exit 2: "FILE has no column that can be the email (headers:
                               ...); name one with --map 'Column=email'."
binary garbage named .csv      exit 2: "FILE is not a CSV or XLSX file (it looks binary)."
PNG renamed .xlsx              exit 2: "FILE is not a valid XLSX workbook (it looks like a PNG
                               image); export the sheet again as .xlsx or CSV."
truncated XLSX (zip cut)       exit 2: "FILE is not a valid XLSX workbook (invalid Zip
                               archive: ...); open it in Excel, save it again ..."
ZIP that is no workbook        exit 2: "FILE is not a valid XLSX workbook (...)"
XLSX, empty first sheet        exit 0: the first sheet with data is read (rows numbered as in
                               Excel); ``--sheet 1`` names the empty sheet: exit 2
mixed CRLF / LF / CR           exit 0: every ending is a row break; row numbers exact
unterminated quote at EOF      exit 2: "FILE: the quote that opens in row N is never closed,
                               ...; close or remove that quote and run again." (also when N
                               is the first data row)
more cells than the header     exit 0: that row rejected, "row has 5 cells but the header has
                               3"; surplus *empty* cells are ignored; the other rows valid
fewer cells than the header    exit 0: missing cells are empty; the row is valid
duplicate header names         exit 0: every column kept (the later one as a custom field);
                               the rejected CSV repeats the header and keeps both cells
empty header cell              exit 0: kept as custom field "column N"; rejected CSV keeps it
1 MB cell                      exit 0: kept whole (never truncated); a 1 MB "email" is
                               rejected "invalid email: The email address is too long ..."
NUL bytes                      exit 0: NULs removed from cells (reader rule); rows accounted
UTF-16 with BOM                exit 0: decoded (encoding utf-16-le); text intact
invalid UTF-8 in UTF-8 text    exit 2: "FILE is UTF-8 text with bytes that are not valid
                               UTF-8 (byte 0xFF at offset N, line L); fix or remove those
                               bytes, or pass --encoding ...". ``--encoding cp1252`` imports
non-UTF-8, not cp1252 either   exit 2: "FILE is not valid UTF-8 (byte 0x81 at offset N);
                               pass --encoding cp1252 or the file's encoding."
cp1252 (no UTF-8 sequences)    exit 0: read as cp1252, text intact
10,000 columns                 exit 0 in about a second and < 150 MB above a tiny file's
                               memory; every column mapped, rejected CSV keeps every cell
16,385+ columns                exit 2: "FILE has 16,385 columns in its header row, more than
                               the 16,384 a spreadsheet can hold; check the delimiter ..."
no line break in 16 MB         exit 2: "FILE has no line break in its first 16 MB, so it is
                               not a CSV file; ..."
leading blank lines            exit 0: the header is the first non-blank line (here row 4)
                               and row numbers count the blank lines
=============================  =============================================================

Exit codes here are with ``--fail-on never``; by default rejected rows make it 1.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from foxreach_cli.cli import app
from tests.accounting import assert_accounted, assert_split_locally
from tests.bad_corpus import CASES, write_case

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()

#: case -> rows read when the file is imported (exit 0), or a phrase of the refusal (exit 2).
EXPECTED: dict[str, int | str] = {
    "empty": "is empty (0 bytes)",
    "header_only": 0,
    "no_email_column": "has no column that can be the email",
    "garbage_csv": "is not a CSV or XLSX file (it looks binary)",
    "png_as_xlsx": "is not a valid XLSX workbook (it looks like a PNG image)",
    "truncated_xlsx": "is not a valid XLSX workbook",
    "zip_not_workbook": "is not a valid XLSX workbook",
    "xlsx_empty_first_sheet": 3,
    "mixed_line_endings": 5,
    "unterminated_quote": "the quote that opens in row 3 is never closed",
    "unterminated_quote_first_row": "the quote that opens in row 2 is never closed",
    "ragged_rows": 5,
    "duplicate_headers": 2,
    "empty_header_cell": 2,
    "huge_cell": 4,
    "nul_bytes": 3,
    "utf16_bom": 2,
    "invalid_utf8": "is UTF-8 text with bytes that are not valid UTF-8",
    "invalid_utf8_not_cp1252": "is not valid UTF-8 (byte 0x81",
    "cp1252": 2,
    "wide_10000_columns": 2,
    "wider_than_a_spreadsheet": "has 16,385 columns in its header row",
    "no_line_break": "has no line break in its first 16 MB",
    "leading_blank_lines": 3,
}


class Outcome:
    """One CLI run on one file: exit code, stderr, the JSON report and the rejected CSV."""

    def __init__(self, path: Path, *extra: str) -> None:
        self.path = path
        rejected = path.parent / (path.name + ".rejected.csv")
        result = runner.invoke(
            app,
            [
                "import",
                str(path),
                "--dry-run",
                "--json",
                "--fail-on",
                "never",
                "--rejected",
                str(rejected),
                *extra,
            ],
        )
        self.exit_code = result.exit_code
        self.stdout = result.stdout
        self.stderr = result.stderr
        self.report: dict = json.loads(result.stdout) if result.exit_code == 0 else {}
        self.rejected: dict[int, dict[str, str]] = {}
        self.rejected_header: list[str] = []
        if result.exit_code == 0:
            with rejected.open(encoding="utf-8", newline="") as handle:
                self.rejected_header, *lines = list(csv.reader(handle))
            self.rejected = {
                int(line[-2]): _by_header(self.rejected_header, line) for line in lines
            }

    @property
    def errors(self) -> dict[int, dict]:
        return {e["row"]: e for e in self.report["errorDetails"]}

    @property
    def duplicates(self) -> dict[int, dict]:
        return {d["row"]: d for d in self.report["duplicateDetails"]}

    @property
    def mapping(self) -> list[tuple[str, str]]:
        return [(m["column"], m["field"]) for m in self.report["files"][0]["mapping"]]


def _by_header(header: list[str], line: list[str]) -> dict[str, str]:
    """A rejected-CSV line as {header: cell}; a repeated header gets " #2", " #3" ..."""
    out: dict[str, str] = {}
    for name, cell in zip(header, line, strict=True):
        key, n = name, 2
        while key in out:
            key, n = f"{name} #{n}", n + 1
        out[key] = cell
    return out


def run_case(tmp_path: Path, name: str, *extra: str) -> Outcome:
    return Outcome(write_case(tmp_path, name), *extra)


# --------------------------------------------------------------------------- every case


def test_the_table_covers_every_case() -> None:
    assert set(EXPECTED) == set(CASES)


#: Cases that take seconds each: checked the same way in tests/properties (marked slow).
LARGE_CASES = ("huge_cell", "wide_10000_columns")


@pytest.mark.parametrize("name", sorted(set(CASES) - set(LARGE_CASES)))
def test_every_case_is_imported_or_refused_in_one_sentence(tmp_path: Path, name: str) -> None:
    check_case(tmp_path, name)


def check_case(tmp_path: Path, name: str) -> None:
    """The case is imported and accounted for, or refused in one sentence, as EXPECTED says."""
    check_outcome(run_case(tmp_path, name), name)


def check_outcome(outcome: Outcome, name: str) -> None:
    """:func:`check_case` on a run of the case already made."""
    expected = EXPECTED[name]
    assert "Traceback" not in outcome.stdout + outcome.stderr
    assert "Unexpected error" not in outcome.stderr  # exit 70: a bug, not a documented answer
    if isinstance(expected, str):
        assert outcome.exit_code == 2, outcome.stdout[:500]
        assert outcome.stdout == ""  # --json: nothing on stdout but a report
        message = outcome.stderr.strip()
        assert "\n" not in message, message
        assert message.startswith(f"Error: {outcome.path}"), message
        assert expected in message
        assert message.endswith(".")
    else:
        assert outcome.exit_code == 0, outcome.stderr
        report = outcome.report
        assert report["rowsRead"] == expected
        assert_split_locally(report)
        assert_accounted(report)
        assert report["notSent"] == report["valid"]
        # The rejected file names exactly the rows the report rejects.
        assert set(outcome.rejected) == set(outcome.errors) | set(outcome.duplicates)


@pytest.mark.parametrize("name", ["ragged_rows", "empty"])
def test_exit_codes_without_fail_on_never(tmp_path: Path, name: str) -> None:
    # Rejected rows make a default run exit 1; an unreadable file stays 2.
    result = runner.invoke(app, ["import", str(write_case(tmp_path, name)), "--dry-run"])
    assert result.exit_code == {"ragged_rows": 1, "empty": 2}[name], result.output


# --------------------------------------------------------------------------- refusals


def test_no_email_column_names_the_headers_and_the_fix(tmp_path: Path) -> None:
    outcome = run_case(tmp_path, "no_email_column")
    assert outcome.stderr == (
        f"Error: {outcome.path} has no column that can be the email (headers: 'First Name', "
        "'Company', 'Phone'); name one with --map 'Column=email'.\n"
    )
    # The fix the sentence names works: the rows are then judged (and rejected) one by one.
    fixed = run_case(tmp_path, "no_email_column", "--map", "Company=email")
    assert fixed.exit_code == 0
    assert fixed.report["invalid"] == 2
    assert set(fixed.errors) == {2, 3}


def test_xlsx_with_an_empty_first_sheet_reads_the_sheet_with_data(tmp_path: Path) -> None:
    outcome = run_case(tmp_path, "xlsx_empty_first_sheet")
    assert outcome.report["files"][0]["sheet"] == "Leads"
    assert set(outcome.errors) == {3}
    assert outcome.errors[3]["email"] == "not-an-email"
    assert outcome.rejected[3]["First Name"] == "Bob"
    # Asking for the empty sheet by number is refused in one sentence.
    empty = run_case(tmp_path, "xlsx_empty_first_sheet", "--sheet", "1")
    assert empty.exit_code == 2
    assert empty.stderr == (
        f"Error: {empty.path} has no header row (sheet 'Empty' is empty); pick a sheet with "
        "--sheet or put the column names in the first row.\n"
    )


def test_invalid_utf8_is_refused_with_the_place_and_encoding_overrides(tmp_path: Path) -> None:
    outcome = run_case(tmp_path, "invalid_utf8")
    offset = outcome.path.read_bytes().index(0xFF)
    assert outcome.stderr == (
        f"Error: {outcome.path} is UTF-8 text with bytes that are not valid UTF-8 (byte 0xFF at "
        f"offset {offset}, line 3); fix or remove those bytes, or pass --encoding with the "
        "file's real encoding such as cp1252.\n"
    )
    # The user who knows better can say so: every row is then read.
    forced = run_case(tmp_path, "invalid_utf8", "--encoding", "cp1252")
    assert forced.exit_code == 0, forced.stderr
    assert forced.report["rowsRead"] == 3
    assert forced.report["files"][0]["encoding"] == "cp1252"


def test_cp1252_is_still_detected_and_read_intact(tmp_path: Path) -> None:
    # Guard for the refusal above: a real Windows-1252 file holds no UTF-8 sequence.
    outcome = run_case(tmp_path, "cp1252")
    assert outcome.report["files"][0]["encoding"] == "cp1252"
    assert outcome.rejected[3]["Name"] == "Zoë’s café"


@pytest.mark.parametrize(
    ("name", "row"), [("unterminated_quote", 3), ("unterminated_quote_first_row", 2)]
)
def test_unterminated_quote_names_the_row_where_it_opens(
    tmp_path: Path, name: str, row: int
) -> None:
    outcome = run_case(tmp_path, name)
    assert outcome.exit_code == 2
    assert outcome.stderr == (
        f"Error: {outcome.path}: the quote that opens in row {row} is never closed, so the rest "
        "of the file cannot be split into rows; close or remove that quote and run again.\n"
    )


# --------------------------------------------------------------------------- imported


def test_mixed_line_endings_are_all_row_breaks(tmp_path: Path) -> None:
    outcome = run_case(tmp_path, "mixed_line_endings")
    assert outcome.report["valid"] == 3
    assert outcome.errors[3]["email"] == "not-an-email"
    assert outcome.duplicates[5]["email"] == "ANN@example.com"
    assert "row 2" in outcome.duplicates[5]["reason"]
    assert outcome.rejected[5]["First Name"] == "Ann again"


def test_rows_with_more_cells_are_rejected_and_the_rest_imported(tmp_path: Path) -> None:
    outcome = run_case(tmp_path, "ragged_rows")
    # Row 3 has 5 cells; row 4 has 2 (padded); row 5 has a 4th cell that is empty (ignored).
    assert outcome.errors == {
        3: {
            "file": str(outcome.path),
            "row": 3,
            "email": "bob@example.com",
            "code": "long_row",
            "reason": "row has 5 cells but the header has 3",
            "params": {"cells": "5", "width": "3"},
        }
    }
    assert outcome.report["valid"] == 4
    assert outcome.rejected[3]["First Name"] == "Bob"
    assert outcome.rejected[3]["Company"] == "Acme"


def test_rejected_csv_keeps_the_surplus_cells_of_a_long_row(tmp_path: Path) -> None:
    outcome = run_case(tmp_path, "ragged_rows")
    rejected = (outcome.path.parent / (outcome.path.name + ".rejected.csv")).read_text()
    line = next(line for line in rejected.splitlines() if line.startswith("bob@"))
    assert "extra" in line and "cells" in line


def test_duplicate_header_names_keep_every_column(tmp_path: Path) -> None:
    outcome = run_case(tmp_path, "duplicate_headers")
    mapping = outcome.mapping
    assert [column for column, _ in mapping] == ["Email", "Company", "Company", "Notes", "Notes"]
    assert len({field for _, field in mapping}) == 5  # no column dropped or merged
    assert ("Company", "company") in mapping
    assert outcome.rejected_header[:5] == ["Email", "Company", "Company", "Notes", "Notes"]
    row = outcome.rejected[3]
    assert (row["Company"], row["Company #2"]) == ("Bobco", "Bobco Ltd")
    assert (row["Notes"], row["Notes #2"]) == ("n1", "n2")


def test_an_empty_header_cell_keeps_its_column(tmp_path: Path) -> None:
    outcome = run_case(tmp_path, "empty_header_cell")
    assert ("", "customFields.column 2") in outcome.mapping
    assert outcome.rejected_header[:3] == ["Email", "", "Company"]
    assert outcome.rejected[3][""] == "also kept"


def test_nul_bytes_are_removed_and_every_row_accounted(tmp_path: Path) -> None:
    outcome = run_case(tmp_path, "nul_bytes")
    assert outcome.report["valid"] == 2  # "ann@exam\0ple.com" is ann@example.com
    assert outcome.errors[4]["email"] == "not-an-email"
    assert outcome.rejected[4]["First Name"] == "Cy"


def test_utf16_with_bom_is_decoded_intact(tmp_path: Path) -> None:
    outcome = run_case(tmp_path, "utf16_bom")
    assert outcome.report["files"][0]["encoding"] == "utf-16-le"
    assert outcome.report["valid"] == 1
    assert outcome.rejected[3]["First Name"] == "Łukasz"
    assert outcome.rejected[3]["City"] == "Łódź"


def test_leading_blank_lines_move_the_header_and_the_row_numbers(tmp_path: Path) -> None:
    outcome = run_case(tmp_path, "leading_blank_lines")
    # Two empty lines and a line of commas, then the header on row 4.
    assert outcome.errors[6]["email"] == "not-an-email"
    assert outcome.duplicates[7]["email"] == "ANN@example.com"
    assert "row 5" in outcome.duplicates[7]["reason"]
    assert outcome.rejected[6]["First Name"] == "Bob"


# --------------------------------------------------------------------------- hang and memory
