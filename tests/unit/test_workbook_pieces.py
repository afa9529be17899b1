"""XLSX streamed block by block renders every cell as Excel displays it.

EXPECTED was first captured from the reader that loaded the whole sheet with calamine; the
cells whose number format calamine ignored (a percent, dates and times under their formats)
now read as Excel shows them. The streaming reader must give the same text cell by cell, the
same row numbers, header and re-read rows, however small the blocks it parses.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from foxreach_cli.read import open_source, read_rows
from foxreach_cli.readers import xlsx


def every_cell_type_workbook(path):
    """Every kind of cell a workbook holds, with alignment traps."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Leads"
    sheet.append([])  # a blank first row: the header is row 2
    sheet.append([None, "Email", "Kind", "Value", "Other"])  # data starts in column B
    values = [
        ("text", "Zoë Ünïcode"),
        ("leading zeros", "007"),
        ("int", 4155550100),
        ("negative int", -42),
        ("float", 0.1 + 0.2),
        ("float 15 digits", 1234.56789012345678),
        ("big float", 1e20),
        ("tiny float", 1.5e-10),
        ("integral float", 3.0),
        ("bool true", True),
        ("bool false", False),
        ("date", dt.date(2024, 2, 29)),
        ("datetime", dt.datetime(2023, 12, 31, 23, 59, 58)),
        ("datetime ms", dt.datetime(2023, 1, 2, 3, 4, 5, 600000)),
        ("time", dt.time(13, 45, 30)),
        ("duration", dt.timedelta(hours=30, minutes=5)),
        ("empty", None),
        ("blank text", ""),
        ("spaces", "  padded  "),
        ("formula", "=1+1"),
        ("percent", 0.25),
        ("text number", "1.50"),
        ("newline", "two\nlines"),
    ]
    for i, (kind, value) in enumerate(values):
        sheet.append([None, f"p{i}@x.com", kind, value])
    sheet["D23"].number_format = "0.00%"  # the percent row
    for ref, err in (("D30", "#DIV/0!"), ("D31", "#N/A"), ("D32", "#VALUE!")):
        sheet[ref] = err
        sheet[ref].data_type = "e"
    sheet["C30"], sheet["C31"], sheet["C32"] = "error", "error", "error"
    sheet["B30"], sheet["B31"], sheet["B32"] = "e1@x.com", "e2@x.com", "e3@x.com"
    sheet["D34"] = 45000.5
    sheet["D34"].number_format = "yyyy-mm-dd hh:mm"
    sheet["D35"] = 45000
    sheet["D35"].number_format = "dd/mm/yyyy"
    sheet["D36"] = 0.75
    sheet["D36"].number_format = "h:mm"
    sheet["B34"], sheet["B35"], sheet["B36"] = "f1@x.com", "f2@x.com", "f3@x.com"
    # Far below, after a gap of empty rows, and a cell left of the header and one right of it.
    sheet["B50"] = "late@x.com"
    sheet["A51"] = "left of the header"
    sheet["B51"] = "left@x.com"
    sheet["G52"] = "beyond the header"
    sheet["B52"] = "wide@x.com"
    other = book.create_sheet("Other")
    other["A1"] = "not read"
    book.save(path)
    return path


EXPECTED_HEADERS = ["", "Email", "Kind", "Value", "Other", "", ""]
EXPECTED_RECORDS = [
    (3, ["", "p0@x.com", "text", "Zoë Ünïcode", "", "", ""]),
    (4, ["", "p1@x.com", "leading zeros", "007", "", "", ""]),
    (5, ["", "p2@x.com", "int", "4155550100", "", "", ""]),
    (6, ["", "p3@x.com", "negative int", "-42", "", "", ""]),
    (7, ["", "p4@x.com", "float", "0.3", "", "", ""]),
    (8, ["", "p5@x.com", "float 15 digits", "1234.56789012346", "", "", ""]),
    (9, ["", "p6@x.com", "big float", "1e+20", "", "", ""]),
    (10, ["", "p7@x.com", "tiny float", "1.5e-10", "", "", ""]),
    (11, ["", "p8@x.com", "integral float", "3", "", "", ""]),
    (12, ["", "p9@x.com", "bool true", "TRUE", "", "", ""]),
    (13, ["", "p10@x.com", "bool false", "FALSE", "", "", ""]),
    (14, ["", "p11@x.com", "date", "2024-02-29", "", "", ""]),
    (15, ["", "p12@x.com", "datetime", "2023-12-31 23:59:58", "", "", ""]),
    (16, ["", "p13@x.com", "datetime ms", "2023-01-02 3:04:06", "", "", ""]),
    (17, ["", "p14@x.com", "time", "13:45:30", "", "", ""]),
    (18, ["", "p15@x.com", "duration", "30:05:00", "", "", ""]),
    (19, ["", "p16@x.com", "empty", "", "", "", ""]),
    (20, ["", "p17@x.com", "blank text", "", "", "", ""]),
    (21, ["", "p18@x.com", "spaces", "  padded  ", "", "", ""]),
    (22, ["", "p19@x.com", "formula", "", "", "", ""]),
    (23, ["", "p20@x.com", "percent", "25.00%", "", "", ""]),
    (24, ["", "p21@x.com", "text number", "1.50", "", "", ""]),
    (25, ["", "p22@x.com", "newline", "two\nlines", "", "", ""]),
    (30, ["", "e1@x.com", "error", "", "", "", ""]),
    (31, ["", "e2@x.com", "error", "", "", "", ""]),
    (32, ["", "e3@x.com", "error", "", "", "", ""]),
    (34, ["", "f1@x.com", "", "2023-03-15 12:00", "", "", ""]),
    (35, ["", "f2@x.com", "", "15/03/2023", "", "", ""]),
    (36, ["", "f3@x.com", "", "18:00", "", "", ""]),
    (50, ["", "late@x.com", "", "", "", "", ""]),
    (51, ["left of the header", "left@x.com", "", "", "", "", ""]),
    (52, ["", "wide@x.com", "", "", "", "", "beyond the header"]),
]
EXPECTED_CHUNK_ROWS = [
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
    12,
    13,
    14,
    15,
    16,
    17,
    18,
    19,
    20,
    21,
    22,
    23,
    24,
    25,
    30,
    31,
    32,
    34,
    35,
    36,
    50,
    51,
    52,
]


@pytest.mark.parametrize("block", [7, 200, 256 << 10])
def test_every_cell_type_renders_as_excel_shows_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    monkeypatch.setattr(xlsx, "_BLOCK", block)
    path = every_cell_type_workbook(tmp_path / "every.xlsx")
    with open_source(str(path)) as source:
        assert source.info.sheet == "Leads"
        assert (source.info.headers, source.info.header_row) == (EXPECTED_HEADERS, 2)
        width = len(EXPECTED_HEADERS)
        records = [(row, cells + [""] * (width - len(cells))) for row, cells in source._records()]
        assert records == [(row, list(cells)) for row, cells in EXPECTED_RECORDS]
        chunks = list(source.chunks())
        assert [row for chunk in chunks for row in chunk.rows.tolist()] == EXPECTED_CHUNK_ROWS
        again = list(read_rows(source, {3, 23, 51, 52}))
        wanted = {3, 23, 51, 52}
        assert again == [(row, list(cells)) for row, cells in EXPECTED_RECORDS if row in wanted]
        assert source.info.notes == []


def test_rows_and_cells_without_references_are_numbered_in_order(tmp_path: Path) -> None:
    path = every_cell_type_workbook(tmp_path / "every.xlsx")
    # The same workbook without row numbers: each row is the one after the previous.
    plain = tmp_path / "plain.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(plain, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'(<row\b[^>]*?) r="\d+"', rb"\1", data)
            dst.writestr(info, data)
    with open_source(str(plain)) as source:
        assert source.info.headers == EXPECTED_HEADERS
        # openpyxl writes no element for an empty row, so without numbers the rows close up.
        rows = [row for chunk in source.chunks() for row in chunk.rows.tolist()]
        assert rows == list(range(2, 2 + len(EXPECTED_RECORDS)))


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(1, 40), st.lists(st.sampled_from(["", "a", "b"]), max_size=4)),
        max_size=25,
    ),
    merges=st.lists(
        st.tuples(st.integers(1, 40), st.integers(0, 3), st.integers(1, 8)), max_size=6
    ),
)
def test_merged_ranges_only_fill_empty_cells_of_the_rows_they_cover(rows, merges) -> None:
    """fill_merged keeps every row and every written cell; a filled cell lies in a range
    that covers its row, and holds the value of that range's first cell."""
    from foxreach_cli.readers.xlsx import fill_merged

    by_number = {n: cells for n, cells in rows}
    ordered = [(n, cells, [], len(cells)) for n, cells in sorted(by_number.items())]
    ranges = [(r1, c, r1 + span, c) for r1, c, span in merges]
    out = list(fill_merged(iter(ordered), ranges))
    assert [n for n, *_ in out] == [n for n, *_ in ordered]
    shown = {n: cells for n, cells, _far, _last in out}  # a range's first cell as filled
    for (n, cells, _far, _last), (_n, before, _f, _l) in zip(out, ordered, strict=True):
        for col, value in enumerate(cells):
            if col < len(before) and before[col]:
                assert value == before[col]  # never overwritten
            elif value:
                starts = [
                    shown.get(r1, [])[c] if c < len(shown.get(r1, [])) else ""
                    for r1, c, r2, _c2 in ranges
                    if c == col and r1 < n <= r2
                ]
                assert value in starts
