"""Finding the header below a preamble, --header-row, and the refusal when there is none.

The property at the end: any preamble of up to ``MAX_PREAMBLE`` lines (notes, titles, key/value
lines, blank lines, quoted paragraphs with line breaks) above a valid file leaves every count
equal and shifts every row number by exactly the preamble's rows.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import strategies as st
from typer.testing import CliRunner

from foxreach_cli.cli import app
from foxreach_cli.errors import InputError, UsageError
from foxreach_cli.import_config import build_read_options
from foxreach_cli.read import open_source

runner = CliRunner()


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8", newline="")
    return str(path)


def rows_of(path: str, **options: Any) -> tuple[int, list[str], list[tuple[int, str]]]:
    """(header row, headers, [(row, first cell)]) of a file."""
    with open_source(path, **options) as source:
        out = []
        for chunk in source.chunks():
            first = chunk.frame.iloc[:, 0].tolist()
            out.extend(zip((int(r) for r in chunk.rows), first, strict=True))
        return source.info.header_row, source.info.headers, out


def dry_json(path: str, *extra: str) -> dict:
    result = runner.invoke(
        app, ["import", path, "--dry-run", "--json", "--fail-on", "never", *extra]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --------------------------------------------------------------------------- detection


def test_a_title_and_filter_lines_above_the_header_are_skipped(tmp_path: Path) -> None:
    text = (
        "Leads report\n"
        "Filtered by:,Owner is Dana\n"
        "\n"
        "Email,First Name,Last Name,Company\n"
        "ines@example.com,Ines,Varga,Tailspin\n"
        "omar@example.com,Omar,Reyes,Litware\n"
    )
    header_row, headers, rows = rows_of(write(tmp_path / "report.csv", text))
    assert header_row == 4
    assert headers == ["Email", "First Name", "Last Name", "Company"]
    assert rows == [(5, "ines@example.com"), (6, "omar@example.com")]


def test_a_header_whose_other_columns_have_no_names_is_found(tmp_path: Path) -> None:
    # An export with two unnamed columns before Email: mostly empty, but it names the email
    # column and the addresses are under it.
    text = ",,Email\nA1,x,ines@example.com\n,,omar@example.com\n"
    header_row, headers, rows = rows_of(write(tmp_path / "unnamed.csv", text))
    assert header_row == 1
    assert headers == ["", "", "Email"]
    assert rows == [(2, "A1"), (3, "")]
    report = dry_json(str(tmp_path / "unnamed.csv"))
    assert report["valid"] == 2


def test_a_sparse_group_row_above_the_real_header_is_still_skipped(tmp_path: Path) -> None:
    text = ",,Email,\nFirst,Last,Email,Company\nInes,Varga,ines@example.com,Tailspin\n"
    header_row, headers, _ = rows_of(write(tmp_path / "grouped.csv", text))
    assert header_row == 2
    assert headers == ["First", "Last", "Email", "Company"]


def test_a_quoted_paragraph_with_line_breaks_is_one_row(tmp_path: Path) -> None:
    text = 'Notes:\n"first line,\nsecond line"\n\nEmail Address,Name\nli@example.com,Li\n'
    header_row, _headers, rows = rows_of(write(tmp_path / "notes.csv", text))
    assert header_row == 4
    assert rows == [(5, "li@example.com")]


def test_a_file_without_preamble_reads_exactly_as_before(tmp_path: Path) -> None:
    text = "email,name\na@example.com,Ann\n"
    assert rows_of(write(tmp_path / "plain.csv", text))[0] == 1


def test_a_data_cell_saying_email_is_not_taken_for_the_header(tmp_path: Path) -> None:
    # The header names no email column (the user maps it with --map), and a data row holds
    # the word "Email" in a row as wide as the header: the header stays on row 1.
    text = "Contact,Channel\nann@example.com,Phone\nbo@example.com,Email\ncy@example.com,Post\n"
    header_row, headers, rows = rows_of(write(tmp_path / "channel.csv", text))
    assert (header_row, headers) == (1, ["Contact", "Channel"])
    assert [row for row, _ in rows] == [2, 3, 4]


def test_a_key_value_line_naming_email_above_the_header_is_not_the_header(tmp_path: Path) -> None:
    text = (
        "Email:,sales-ops@example.com\n"
        "First Name,Last Name,Email,Company\n"
        "Ann,Lee,ann@example.com,Contoso\n"
    )
    header_row, headers, _rows = rows_of(write(tmp_path / "kv.csv", text))
    assert header_row == 2
    assert headers == ["First Name", "Last Name", "Email", "Company"]


def test_the_delimiter_is_found_below_a_preamble(tmp_path: Path) -> None:
    text = (
        "Export of 2 contacts\n\nE-mail;Name;Town\nan@example.com;An;Lyon\nbo@example.com;Bo;Nice\n"
    )
    path = write(tmp_path / "semi.csv", text)
    with open_source(path) as source:
        assert source.info.delimiter == ";"
        assert source.info.header_row == 3


def test_a_title_above_a_header_without_an_email_column_is_passed_over(tmp_path: Path) -> None:
    # "Mail" names no email column, but the addresses under it show where the header is.
    path = write(tmp_path / "title.csv", "My leads\nMail,Name\na@example.com,Ann\n")
    header_row, headers, rows = rows_of(path)
    assert (header_row, headers, rows) == (2, ["Mail", "Name"], [(3, "a@example.com")])


def test_a_title_above_rows_without_column_names_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "title.csv", "My leads\nAnn,Lee\nBo,Kim\n")
    with pytest.raises(InputError) as info:
        open_source(path)
    assert str(info.value) == (
        f"{path}: no header row found (none of its first 30 rows reads like column names "
        "above rows holding email addresses or names an email column such as Email or "
        "E-mail Address); pass --header-row N with the row that holds the column names."
    )


def test_header_row_override_reads_from_that_row(tmp_path: Path) -> None:
    path = write(tmp_path / "title.csv", "My leads\nMail,Name\na@example.com,Ann\n")
    header_row, headers, rows = rows_of(path, header_row=2)
    assert (header_row, headers, rows) == (2, ["Mail", "Name"], [(3, "a@example.com")])


def test_header_row_override_must_name_a_real_non_blank_row(tmp_path: Path) -> None:
    path = write(tmp_path / "short.csv", "email\n\na@example.com\n")
    with pytest.raises(InputError) as blank:
        open_source(path, header_row=2)
    assert str(blank.value) == (
        f"{path}: row 2 (--header-row) is blank; give the number of the row that holds the "
        "column names."
    )
    with pytest.raises(InputError) as beyond:
        open_source(path, header_row=9)
    assert str(beyond.value) == (
        f"{path} has no row 9 (--header-row) among its first 3 rows; give the number of the row "
        "that holds the column names, as a spreadsheet shows it."
    )
    with pytest.raises(UsageError) as caught:
        build_read_options(header_row=0)
    assert caught.value.describe("--header-row") == (
        "--header-row must be a row number from 1 up, not 0."
    )


def test_header_row_far_down_the_file_is_reached(tmp_path: Path) -> None:
    # More than the 64 KB first looked at: the head is read further for the override.
    preamble = "".join(f"note {i}: {'x' * 80}\n" for i in range(1500))
    path = write(tmp_path / "far.csv", preamble + "email,name\na@example.com,Ann\n")
    header_row, headers, rows = rows_of(path, header_row=1501)
    assert (header_row, headers, rows) == (1501, ["email", "name"], [(1502, "a@example.com")])


def test_the_map_command_takes_header_row(tmp_path: Path) -> None:
    path = write(tmp_path / "title.csv", "My leads\nMail,Name\na@example.com,Ann\n")
    result = runner.invoke(app, ["map", path, "--header-row", "2", "--map", "Mail=email"])
    assert result.exit_code == 0, result.output
    assert "a@example.com" in result.output


def test_a_workbook_with_title_rows_keeps_its_row_numbers(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = "Contacts report"
    sheet["A2"] = "Generated 2024-05-01"
    for col, value in enumerate(["First Name", "Last Name", "Email", "Title"], start=1):
        sheet.cell(row=4, column=col, value=value)
    for col, value in enumerate(["Noor", "Haddad", "noor@example.com", "Buyer"], start=1):
        sheet.cell(row=5, column=col, value=value)
    path = tmp_path / "report.xlsx"
    book.save(path)
    header_row, headers, _rows = rows_of(str(path))
    assert header_row == 4
    assert headers == ["First Name", "Last Name", "Email", "Title"]
    report = dry_json(str(path))
    assert report["rowsRead"] == 1 and report["valid"] == 1


# --------------------------------------------------------------------------- the property

MAX_PREAMBLE = 8

EMAILS = ["ann@example.com", "bo@example.org", "ANN@example.com", "not-an-email", ""]
_CELL = st.text(alphabet="abcXYZ019 .:-,\"'\n", max_size=30)
