"""The read stage: real files in, raw text cells with spreadsheet row numbers out.

Binary fixtures (cp1252, UTF-16, XLSX, garbage) are generated here in tmp_path; the text
fixtures under tests/data/read/ are real-looking exports.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest
from hypothesis import strategies as st

from foxreach_cli.errors import EmptyFileError, InputError, UsageError
from foxreach_cli.import_config import parse_delimiter, parse_encoding
from foxreach_cli.read import Source, expand_inputs, open_source, read_rows
from foxreach_cli.reasons import ReasonCode, encode_cell
from foxreach_cli.stage_data import ROW_ERROR_COLUMN, SourceInfo

DATA = Path(__file__).parents[1] / "data" / "read"


# --------------------------------------------------------------------------- helpers


def write(tmp_path: Path, name: str, content: bytes | str, encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return str(path)


def read_all(path: str, **options: Any) -> tuple[SourceInfo, list[tuple[int, dict[str, Any]]]]:
    """Every data row of a file as (row number, {column key: cell})."""
    with open_source(path, **options) as source:
        out = []
        for chunk in source.chunks():
            assert len(chunk.rows) == len(chunk.frame)
            assert chunk.rows.dtype == np.int64
            for row, record in zip(chunk.rows, chunk.frame.to_dict("records"), strict=True):
                out.append((int(row), record))
        return source.info, out


def cells(records: list[tuple[int, dict[str, Any]]], column: str) -> list[Any]:
    return [record[column] for _, record in records]


def row_numbers(records: list[tuple[int, dict[str, Any]]]) -> list[int]:
    return [row for row, _ in records]


def xlsx(tmp_path: Path, name: str, sheets: dict[str, dict[str, Any]]) -> str:
    """A workbook with the given sheets, each {cell address: value}, written by openpyxl."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, cells_ in sheets.items():
        sheet = workbook.create_sheet(title)
        for address, value in cells_.items():
            sheet[address] = value
    path = tmp_path / name
    workbook.save(path)
    return str(path)


# --------------------------------------------------------------------------- encodings

NAMES = "email,name,city\nm@example.com,Müller,Köln\nc@example.com,café crème,Zoë’s “place”\n"


@pytest.mark.parametrize(
    ("raw", "label"),
    [
        (NAMES.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + NAMES.encode("utf-8"), "utf-8-sig"),
        (NAMES.encode("cp1252"), "cp1252"),
        (b"\xff\xfe" + NAMES.encode("utf-16-le"), "utf-16-le"),
        (b"\xfe\xff" + NAMES.encode("utf-16-be"), "utf-16-be"),
        (NAMES.encode("utf-16-le"), "utf-16-le"),  # no BOM: NUL in every other byte
    ],
    ids=["utf8", "utf8-bom", "cp1252", "utf16le-bom", "utf16be-bom", "utf16le-no-bom"],
)
def test_encodings_are_detected_and_text_comes_through_intact(
    tmp_path: Path, raw: bytes, label: str
) -> None:
    info, records = read_all(write(tmp_path, "names.csv", raw))
    assert info.encoding == label
    assert info.headers == ["email", "name", "city"]  # no BOM glued to the first header
    assert cells(records, "name") == ["Müller", "café crème"]
    assert cells(records, "city") == ["Köln", "Zoë’s “place”"]
    assert row_numbers(records) == [2, 3]


def test_explicit_encoding_is_used(tmp_path: Path) -> None:
    path = write(tmp_path, "latin.csv", NAMES, encoding="cp1252")
    info, records = read_all(path, encoding=parse_encoding("latin-1"))
    assert cells(records, "name") == ["Müller", "café crème"]
    assert info.encoding == "iso8859-1"


def test_explicit_wrong_encoding_names_the_offset_and_the_fix(tmp_path: Path) -> None:
    path = write(tmp_path, "leads.csv", NAMES, encoding="cp1252")
    offset = NAMES.encode("cp1252").index("ü".encode("cp1252"))
    with pytest.raises(InputError) as caught:
        open_source(path, encoding="utf-8")
    assert str(caught.value) == (
        f"{path} is not valid utf-8 (byte 0xFC at offset {offset}); pass --encoding with the "
        "file's real encoding."
    )


def test_unknown_encoding_name_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as caught:
        parse_encoding("klingon")
    assert caught.value.describe("--encoding") == (
        "--encoding 'klingon' is not an encoding; use a name such as utf-8, cp1252, latin-1 "
        "or utf-16."
    )


# --------------------------------------------------------------------------- delimiters


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"], ids=["comma", "semi", "tab", "pipe"])
def test_delimiter_is_detected(tmp_path: Path, delimiter: str) -> None:
    # Cells hold the other candidates, so only the header decides.
    others = "".join(d for d in ",;|" if d != delimiter)
    text = delimiter.join(["email", "company", "notes"]) + "\n"
    text += delimiter.join(["a@example.com", '"Acme, Inc"', f"x{others}y"]) + "\n"
    info, records = read_all(write(tmp_path, "leads.txt", text))
    assert info.delimiter == delimiter
    assert records == [
        (2, {"email": "a@example.com", "company": "Acme, Inc", "notes": f"x{others}y"})
    ]


def test_tsv_defaults_to_tab_even_when_commas_dominate(tmp_path: Path) -> None:
    text = "email\tnotes, more, commas, here\na@example.com\tone, two, three, four\n"
    info, records = read_all(write(tmp_path, "leads.tsv", text))
    assert info.delimiter == "\t"
    assert cells(records, "notes, more, commas, here") == ["one, two, three, four"]


def test_single_column_of_emails_is_valid(tmp_path: Path) -> None:
    info, records = read_all(write(tmp_path, "emails.csv", "email\na@x.com\nb@x.com\n"))
    assert (info.delimiter, info.columns) == (",", ["email"])
    assert records == [(2, {"email": "a@x.com"}), (3, {"email": "b@x.com"})]


def test_explicit_delimiter_overrides_detection(tmp_path: Path) -> None:
    path = write(tmp_path, "leads.csv", "email;name,x\na@x.com;Ann,B\n")
    info, _records = read_all(path, delimiter=";")
    assert info.columns == ["email", "name,x"]
    assert read_all(path, delimiter=parse_delimiter("tab"))[0].delimiter == "\t"
    with pytest.raises(UsageError) as caught:
        parse_delimiter(";;")
    assert caught.value.describe("--delimiter") == (
        "--delimiter must be one character such as , ; | or 'tab', not ';;'."
    )


def test_semicolon_export_with_decimal_commas(tmp_path: Path) -> None:
    info, records = read_all(str(DATA / "semicolon_de.csv"))
    assert info.delimiter == ";"
    assert info.headers == ["E-Mail", "Vorname", "Nachname", "Umsatz"]
    assert cells(records, "Umsatz") == ["1.234,56", "7,5"]
    assert cells(records, "Nachname") == ["Grün", "Mustermann"]
    assert row_numbers(records) == [3, 4]  # the blank line is row 2


# --------------------------------------------------------------------------- cells as written


def test_quoted_commas_quotes_and_newlines(tmp_path: Path) -> None:
    info, records = read_all(str(DATA / "apollo_export.csv"))
    assert info.headers[4] == "Email"
    assert cells(records, "Company Name")[0] == "Analytical Engines, Ltd"
    assert cells(records, "Notes") == [
        'Met at "Compute" 2024',
        "Prefers email.\r\nCall after 5pm.",
        "NA",
    ]
    # The two-line cell is one row: Grace is row 4, not 5.
    assert row_numbers(records) == [2, 3, 4]
    assert cells(records, "Email")[2] == "grace@example.com"


def test_values_stay_text_exactly_as_written(tmp_path: Path) -> None:
    values = ["4155550100", "02139", "1e5", "TRUE", "NA", "null", "N/A", "  spaced ", "-0", "1.50"]
    text = "email,value\n" + "".join(f"r{i}@x.com,{v}\n" for i, v in enumerate(values))
    _info, records = read_all(write(tmp_path, "values.csv", text))
    assert cells(records, "value") == values
    with open_source(write(tmp_path, "values2.csv", text)) as source:
        frame = next(source.chunks()).frame
    assert all(dtype == np.dtype(object) for dtype in frame.dtypes)
    assert all(isinstance(v, str) for v in frame.to_numpy().ravel())


def test_empty_cells_and_short_rows_are_empty_strings(tmp_path: Path) -> None:
    _info, records = read_all(write(tmp_path, "short.csv", "email,a,b\nx@x.com,,\ny@x.com\n"))
    assert records == [
        (2, {"email": "x@x.com", "a": "", "b": ""}),
        (3, {"email": "y@x.com", "a": "", "b": ""}),
    ]


def test_nul_bytes_are_removed_from_cells(tmp_path: Path) -> None:
    raw = b"email,name\na@x.com,An\x00n\nb@x.com,Bob\x00\x00\n"
    _info, records = read_all(write(tmp_path, "nul.csv", raw))
    assert cells(records, "name") == ["Ann", "Bob"]


# --------------------------------------------------------------------------- row numbers


def test_leading_blank_lines_shift_the_header_row(tmp_path: Path) -> None:
    text = "\n\r\n,,\nemail,name\na@x.com,Ann\nb@x.com,Bob\n"
    info, records = read_all(write(tmp_path, "lead.csv", text))
    assert info.header_row == 4
    assert info.headers == ["email", "name"]
    assert row_numbers(records) == [5, 6]


def test_blank_lines_in_the_middle_keep_their_row_numbers(tmp_path: Path) -> None:
    text = "email,name\na@x.com,Ann\n\n\nb@x.com,Bob\n,\nc@x.com,Cy\n\n"
    _info, records = read_all(write(tmp_path, "gaps.csv", text))
    assert [(row, r["email"]) for row, r in records] == [
        (2, "a@x.com"),
        (5, "b@x.com"),
        (7, "c@x.com"),
    ]


def test_crlf_and_cr_line_endings(tmp_path: Path) -> None:
    for name, newline in (("crlf.csv", "\r\n"), ("cr.csv", "\r")):
        text = newline.join(["email,name", "a@x.com,Ann", "", "b@x.com,Bob", ""])
        _, records = read_all(write(tmp_path, name, text))
        assert [(row, r["name"]) for row, r in records] == [(2, "Ann"), (4, "Bob")], name


def test_chunk_boundaries_keep_row_numbers(tmp_path: Path) -> None:
    text = "email,n\n" + "".join(f"r{i}@x.com,{i}\n" for i in range(10))
    with open_source(write(tmp_path, "ten.csv", text), chunk_rows=3) as source:
        chunks = list(source.chunks())
        again = list(source.chunks())  # a second pass re-reads from the start
    assert [len(c.frame) for c in chunks] == [3, 3, 3, 1]
    assert np.concatenate([c.rows for c in chunks]).tolist() == list(range(2, 12))
    assert [v for c in chunks for v in c.frame["n"]] == [str(i) for i in range(10)]
    assert [c.rows.tolist() for c in again] == [c.rows.tolist() for c in chunks]
    assert all(c.frame.index.tolist() == list(range(len(c.frame))) for c in chunks)


def test_chunk_boundaries_with_blank_rows_and_multiline_cells(tmp_path: Path) -> None:
    lines = ["email,notes"]
    expected = []
    row = 1
    for i in range(10):
        row += 1
        if i % 3 == 0:
            lines.append(f'r{i}@x.com,"two\nlines"')
        else:
            lines.append(f"r{i}@x.com,one")
        expected.append((row, f"r{i}@x.com"))
        if i % 4 == 1:
            lines.append("")
            row += 1
    _, records = read_all(write(tmp_path, "mixed.csv", "\n".join(lines) + "\n"), chunk_rows=3)
    assert [(r, rec["email"]) for r, rec in records] == expected


# --------------------------------------------------------------------------- ragged rows


def test_rows_with_more_cells_are_kept_and_flagged(tmp_path: Path) -> None:
    _info, records = read_all(str(DATA / "ragged.csv"))
    by_email = {r["email"]: (row, r) for row, r in records}
    assert [row for row, _ in by_email.values()] == [2, 3, 4, 5]
    _row, cyber = by_email["c@example.com"]
    assert cyber[ROW_ERROR_COLUMN] == encode_cell(ReasonCode.LONG_ROW.of(5, 3))
    assert ReasonCode.LONG_ROW.of(5, 3).text == "row has 5 cells but the header has 3"
    assert cyber["company"] == "Cyberdyne"
    # Surplus cells that are empty lose nothing: not an error.
    assert by_email["d@example.com"][1][ROW_ERROR_COLUMN] == ""
    assert by_email["b@example.com"][1]["company"] == ""


def test_every_column_is_object_dtype_on_both_paths(tmp_path: Path) -> None:
    # The fast path (pandas) and the slow path (csv module) hand out the same dtypes.
    with open_source(str(DATA / "ragged.csv"), chunk_rows=2) as source:
        chunks = list(source.chunks())
    assert ROW_ERROR_COLUMN not in chunks[0].frame  # rows 2-3 came from pandas
    assert ROW_ERROR_COLUMN in chunks[1].frame  # rows 4-5 from the csv module
    for chunk in chunks:
        assert {str(dtype) for dtype in chunk.frame.dtypes} == {"object"}


def test_first_data_row_with_more_cells_is_not_truncated(tmp_path: Path) -> None:
    # pandas would silently drop the surplus here (it only warns).
    path = write(tmp_path, "first.csv", "email,name\na@x.com,Ann,EXTRA\nb@x.com,Bob\n")
    _, records = read_all(path)
    assert [(row, r[ROW_ERROR_COLUMN]) for row, r in records] == [
        (2, encode_cell(ReasonCode.LONG_ROW.of(3, 2))),
        (3, ""),
    ]


def test_surplus_cells_in_a_later_chunk_keep_every_row(tmp_path: Path) -> None:
    lines = ["email,n"] + [f"r{i}@x.com,{i}" for i in range(20)]
    lines[15] += ",surplus"  # row 16
    with open_source(write(tmp_path, "late.csv", "\n".join(lines) + "\n"), chunk_rows=4) as s:
        chunks = list(s.chunks())
    rows = np.concatenate([c.rows for c in chunks]).tolist()
    assert rows == list(range(2, 22))
    flagged = [
        int(row)
        for c in chunks
        if ROW_ERROR_COLUMN in c.frame
        for row, reason in zip(c.rows, c.frame[ROW_ERROR_COLUMN], strict=True)
        if reason
    ]
    assert flagged == [16]


def test_unclosed_quote_is_an_error_naming_its_row(tmp_path: Path) -> None:
    path = write(
        tmp_path, "quote.csv", 'email,notes\na@x.com,fine\nb@x.com,"never closed\nc@x.com,x\n'
    )
    with pytest.raises(InputError, match=r"quote that opens in row 3 is never closed"):
        open_source(path)  # found before any chunk is handed out


def test_unclosed_quote_after_a_ragged_row_is_still_found(tmp_path: Path) -> None:
    # chunk_rows=1: pandas stops at the surplus cells of row 3, before it sees the quote,
    # so the csv-module path must notice the quote that swallows the rest of the file.
    text = 'email,notes\na@x.com,ok\nb@x.com,x,y\nc@x.com,ok\nd@x.com,"open\ne@x.com,x\n'
    with pytest.raises(InputError, match=r"row 5 is never closed"):
        read_all(write(tmp_path, "q.csv", text), chunk_rows=1)


def test_stray_quote_inside_a_cell_is_text(tmp_path: Path) -> None:
    _, records = read_all(write(tmp_path, "height.csv", 'email,height\na@x.com,6"\nb@x.com,5\n'))
    assert cells(records, "height") == ['6"', "5"]


# --------------------------------------------------------------------------- headers


def test_duplicate_and_empty_headers_get_unique_keys(tmp_path: Path) -> None:
    text = " Email ,Email,,Name,\nA@x.com,b@x.com,x,Ann,y\n"
    info, records = read_all(write(tmp_path, "dup.csv", text))
    assert info.headers == ["Email", "Email", "", "Name", ""]
    assert info.columns == ["Email", "Email (2)", "column 3", "Name", "column 5"]
    assert records[0][1] == {
        "Email": "A@x.com",
        "Email (2)": "b@x.com",
        "column 3": "x",
        "Name": "Ann",
        "column 5": "y",
    }


@pytest.mark.parametrize("text", ["email,name\n", "email,name", "email,name\n\n\n"])
def test_header_only_file_has_headers_and_no_rows(tmp_path: Path, text: str) -> None:
    info, records = read_all(write(tmp_path, "header.csv", text))
    assert info.headers == ["email", "name"]
    assert records == []


def test_zero_byte_file_is_empty_file_error(tmp_path: Path) -> None:
    path = write(tmp_path, "empty.csv", b"")
    with pytest.raises(EmptyFileError) as caught:
        open_source(path)
    assert str(caught.value) == f"{path} is empty (0 bytes)."


def test_blank_lines_only_has_no_header_row(tmp_path: Path) -> None:
    path = write(tmp_path, "blank.csv", "\n\r\n  \n")
    with pytest.raises(InputError) as caught:
        open_source(path)
    assert str(caught.value) == (
        f"{path} has no header row (it holds only blank lines); put the column names on the "
        "first line and run again."
    )


# --------------------------------------------------------------------------- not text


def test_binary_garbage_named_csv_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "garbage.csv",
        bytes(np.random.default_rng(7).integers(0, 256, 5000, dtype=np.uint8)),
    )
    with pytest.raises(InputError) as caught:
        open_source(path)
    assert str(caught.value) == f"{path} is not a CSV or XLSX file (it looks binary)."


def test_png_renamed_xlsx_is_not_a_workbook(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200)
    path = write(tmp_path, "photo.xlsx", png)
    with pytest.raises(InputError) as caught:
        open_source(path)
    assert str(caught.value) == (
        f"{path} is not a valid XLSX workbook (it looks like a PNG image); export the sheet "
        "again as .xlsx or CSV."
    )


def test_csv_content_named_xlsx_is_read_as_csv(tmp_path: Path) -> None:
    info, records = read_all(write(tmp_path, "really.xlsx", "email\na@x.com\n"))
    assert info.format == "csv"
    assert records == [(2, {"email": "a@x.com"})]


def test_truncated_xlsx_is_an_input_error(tmp_path: Path) -> None:
    good = Path(xlsx(tmp_path, "good.xlsx", {"Leads": {"A1": "email", "A2": "a@x.com"}}))
    path = write(tmp_path, "cut.xlsx", good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(InputError) as caught:
        open_source(path)
    assert str(caught.value) == (
        f"{path} is not a valid XLSX workbook (its ZIP archive is damaged or cut short); open "
        "it in Excel, save it again as .xlsx (or export CSV) and run again."
    )


def test_zip_that_is_not_a_workbook_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(InputError, match="is not a valid XLSX workbook"):
        open_source(str(path))


# --------------------------------------------------------------------------- XLSX

WORKBOOK = {
    "Empty": {},
    "Leads": {
        "A1": "Email", "B1": "Phone", "C1": "Zip", "D1": "Score", "E1": "Active",
        "F1": "Since", "G1": "Met", "H1": "Big",
        "A2": "a@x.com", "B2": 4155550100, "C2": "02139", "D2": 0.5, "E2": True,
        "F2": dt.date(2024, 1, 5), "G2": dt.datetime(2024, 1, 5, 10, 30), "H2": 0.1 + 0.2,
        "A4": "b@x.com", "B4": 4155550100.0, "E4": False,
    },
    "Other": {"A3": "email", "A4": "z@x.com", "A6": "y@x.com"},
}  # fmt: skip


def test_xlsx_default_sheet_skips_an_empty_first_sheet(tmp_path: Path) -> None:
    info, records = read_all(xlsx(tmp_path, "book.xlsx", WORKBOOK))
    assert (info.format, info.sheet, info.header_row) == ("xlsx", "Leads", 1)
    assert info.headers == ["Email", "Phone", "Zip", "Score", "Active", "Since", "Met", "Big"]
    assert row_numbers(records) == [2, 4]  # row 3 is empty


def test_xlsx_cells_come_out_as_excel_shows_them(tmp_path: Path) -> None:
    _, records = read_all(xlsx(tmp_path, "book.xlsx", WORKBOOK))
    first, second = records[0][1], records[1][1]
    assert first == {
        "Email": "a@x.com",
        "Phone": "4155550100",
        "Zip": "02139",
        "Score": "0.5",
        "Active": "TRUE",
        "Since": "2024-01-05",
        "Met": "2024-01-05 10:30:00",  # openpyxl's format for a datetime: yyyy-mm-dd h:mm:ss
        "Big": "0.3",
    }
    assert (second["Phone"], second["Active"], second["Zip"]) == ("4155550100", "FALSE", "")


@pytest.mark.parametrize(
    ("sheet", "expected"), [("Other", "Other"), ("3", "Other"), ("other", "Other"), ("2", "Leads")]
)
def test_xlsx_sheet_by_name_or_number(tmp_path: Path, sheet: str, expected: str) -> None:
    info, _ = read_all(xlsx(tmp_path, "book.xlsx", WORKBOOK), sheet=sheet)
    assert info.sheet == expected


def test_xlsx_leading_empty_rows_give_real_row_numbers(tmp_path: Path) -> None:
    info, records = read_all(xlsx(tmp_path, "book.xlsx", WORKBOOK), sheet="Other")
    assert info.header_row == 3
    assert [(row, r["email"]) for row, r in records] == [(4, "z@x.com"), (6, "y@x.com")]


def test_xlsx_unknown_sheet_lists_the_sheets(tmp_path: Path) -> None:
    path = xlsx(tmp_path, "book.xlsx", WORKBOOK)
    with pytest.raises(InputError) as caught:
        open_source(path, sheet="Contacts")
    assert str(caught.value) == (
        f"{path} has no sheet 'Contacts'; its sheets are 'Empty', 'Leads', 'Other'. "
        "Pass --sheet with one of those names or a number from 1 to 3."
    )


def test_xlsx_with_only_empty_sheets_has_no_header_row(tmp_path: Path) -> None:
    path = xlsx(tmp_path, "blank.xlsx", {"One": {}, "Two": {}})
    with pytest.raises(InputError) as caught:
        open_source(path)
    assert str(caught.value) == (
        f"{path} has no header row (every sheet is empty); put the leads on a sheet and run again."
    )


def test_xlsx_chunks_and_read_rows(tmp_path: Path) -> None:
    sheet = {"A1": "email", "B1": "n"} | {f"A{r}": f"r{r}@x.com" for r in range(2, 12)}
    sheet |= {f"B{r}": r * 10 for r in range(2, 12)}
    path = xlsx(tmp_path, "ten.xlsx", {"S": sheet})
    with open_source(path, chunk_rows=4) as source:
        chunks = list(source.chunks())
        assert [len(c.frame) for c in chunks] == [4, 4, 2]
        assert np.concatenate([c.rows for c in chunks]).tolist() == list(range(2, 12))
        assert list(read_rows(source, {3, 11})) == [
            (3, ["r3@x.com", "30"]),
            (11, ["r11@x.com", "110"]),
        ]


# --------------------------------------------------------------------------- stdin


def test_stdin_is_spooled_and_removed_on_close() -> None:
    with open_source("-", stdin=io.BytesIO(b"email\na@x.com\n")) as source:
        spooled = source.path
        assert spooled.read_bytes() == b"email\na@x.com\n"
        assert source.info.file == "-"
        assert [c.frame["email"].tolist() for c in source.chunks()] == [["a@x.com"]]
    assert not spooled.exists()


def test_stdin_workbook_is_detected_by_content(tmp_path: Path) -> None:
    raw = Path(xlsx(tmp_path, "book.xlsx", WORKBOOK)).read_bytes()
    with open_source("-", stdin=io.BytesIO(raw)) as source:
        assert (source.info.format, source.info.sheet) == ("xlsx", "Leads")


def test_empty_stdin_is_empty_file_error() -> None:
    before = set(os.listdir(os.environ.get("TMPDIR", "/tmp")))
    with pytest.raises(EmptyFileError, match=r"^stdin is empty \(0 bytes\)\.$"):
        open_source("-", stdin=io.BytesIO(b""))
    leftovers = {
        n for n in os.listdir(os.environ.get("TMPDIR", "/tmp")) if n.startswith("foxreach-stdin-")
    }
    assert not (leftovers - before)


# --------------------------------------------------------------------------- expand_inputs


def test_expand_inputs_lists_a_directory_in_name_order(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    for name in [
        "b.csv",
        "A.CSV",
        "c.xlsx",
        "d.tsv",
        "e.txt",
        ".hidden.csv",
        "~$c.xlsx",
        "notes.md",
    ]:
        (drop / name).write_text("email\n")
    (drop / "sub.csv").mkdir()  # a directory with a CSV-looking name is not a file
    single = write(tmp_path, "one.csv", "email\n")
    assert expand_inputs([single, str(drop), "-"]) == [
        single,
        *(str(drop / n) for n in ["A.CSV", "b.csv", "c.xlsx", "d.tsv", "e.txt"]),
        "-",
    ]


def test_expand_inputs_missing_file_and_empty_directory(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.csv")
    with pytest.raises(InputError) as caught:
        expand_inputs([missing])
    assert str(caught.value) == f"No such file: {missing}"
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"holds no \.csv"):
        expand_inputs([str(tmp_path / "empty")])


# --------------------------------------------------------------------------- read_rows


def test_read_rows_returns_original_cells_in_row_order(tmp_path: Path) -> None:
    with open_source(str(DATA / "ragged.csv")) as source:
        got = list(read_rows(source, {5, 3, 4, 99}))
    assert got == [
        (3, ["b@example.com", "Bob", ""]),
        (4, ["c@example.com", "Cy", "Cyberdyne", "extra", "cells"]),  # nothing lost
        (5, ["d@example.com", "Di", "Dyno", "", ""]),
    ]


def test_read_rows_follows_multiline_cells_and_blank_lines(tmp_path: Path) -> None:
    text = '\nemail,notes\na@x.com,"x\ny"\n\nb@x.com,"say ""hi"""\n'
    path = write(tmp_path, "multi.csv", text, encoding="cp1252")
    with open_source(path) as source:
        assert list(read_rows(source, {3, 4, 5})) == [
            (3, ["a@x.com", "x\ny"]),
            (5, ["b@x.com", 'say "hi"']),
        ]
        assert list(read_rows(source, set())) == []


# --------------------------------------------------------------------------- round trip


cell_text = st.text(alphabet=st.sampled_from(list("ab ,;|\"'\t\n\r\u00e9\u20ac=+-@0")), max_size=8)


def test_source_is_a_context_manager(tmp_path: Path) -> None:
    with open_source(write(tmp_path, "a.csv", "email\na@x.com\n")) as source:
        assert isinstance(source, Source)
        assert source.path == tmp_path / "a.csv"
