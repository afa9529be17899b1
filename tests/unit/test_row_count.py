"""The exact row count a live run's ETA is based on (foxreach_cli.row_count).

Each file is tricky for a line count: quoted line breaks, blank and blank-looking lines, a
header repeated by ``cat``, a preamble, a workbook. The count must equal the rows the run
itself reads (the fold's ``rowsRead``), and each expected figure is the data rows written.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd

from foxreach_cli.errors import InputError
from foxreach_cli.read import Source, estimate_data_rows, open_source
from foxreach_cli.row_count import RowCounter
from foxreach_cli.stage_data import Chunk, SourceInfo

HEADER = "First Name,Last Name,Email,Notes\r\n"


def person(n: int, notes: str = "") -> str:
    return f"Ada{n},Byron{n},ada{n}@example.com,{notes}\r\n"


def counted(path: Path, limit: int | None = None, chunk_rows: int = 3) -> int | None:
    with (
        open_source(str(path), chunk_rows=chunk_rows) as source,
        RowCounter([source], limit).start() as counter,
    ):
        counter._thread.join(10)
        return counter.total


def rows_read(path: Path) -> int:
    with open_source(str(path), chunk_rows=3) as source:
        return sum(len(chunk.frame) for chunk in source.chunks())


def test_quoted_line_breaks_count_as_one_row_each(tmp_path: Path) -> None:
    # 10 rows, 5 of them with a three-line note: 20 line breaks more than rows.
    body = "".join(
        person(n, '"called twice\r\nleft a message\r\nwill call back\r\nMonday"' if n % 2 else "")
        for n in range(10)
    )
    path = tmp_path / "notes.csv"
    path.write_text(HEADER + body, encoding="utf-8", newline="")
    with open_source(str(path)) as source:
        assert estimate_data_rows([source]) == 26  # the line count: every line break
    assert counted(path) == 10 == rows_read(path)


def test_blank_lines_and_a_repeated_header_count_as_the_run_reads_them(tmp_path: Path) -> None:
    # 7 people, 3 blank or blank-looking lines (not rows), one header repeated by cat (read,
    # and refused as a row).
    body = (
        person(1)
        + "\r\n"
        + person(2)
        + ",,,\r\n"
        + person(3)
        + HEADER
        + person(4)
        + " ,\t, ,\r\n"
        + person(5)
        + person(6)
        + person(7)
    )
    path = tmp_path / "joined.csv"
    path.write_text(HEADER + body, encoding="utf-8", newline="")
    assert counted(path) == 8 == rows_read(path)


def test_a_preamble_above_the_header_is_not_counted(tmp_path: Path) -> None:
    preamble = "Notes:\r\nExported from LinkedIn on 2024-03-01\r\n\r\n"
    path = tmp_path / "linkedin.csv"
    path.write_text(preamble + HEADER + person(1) + person(2), encoding="utf-8", newline="")
    assert counted(path) == 2 == rows_read(path)


def test_a_workbook_is_counted_too(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["First Name", "Email", "Notes"])
    for n in range(11):
        sheet.append([f"Ada{n}", f"ada{n}@example.com", "two\nlines" if n % 3 else None])
    sheet.append([None, None, None])
    sheet.append(["Zoe", "zoe@example.com", None])
    path = tmp_path / "leads.xlsx"
    book.save(path)
    with open_source(str(path)) as source:
        assert estimate_data_rows([source]) is None  # a line count knows no workbook
    assert counted(path) == 12 == rows_read(path)


def test_several_files_add_up_and_limit_caps_the_count(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text(HEADER + "".join(person(n) for n in range(4)), encoding="utf-8", newline="")
    b.write_text(HEADER + "".join(person(n) for n in range(6)), encoding="utf-8", newline="")
    with open_source(str(a), chunk_rows=2) as sa, open_source(str(b), chunk_rows=2) as sb:
        for limit, expected in ((None, 10), (7, 7), (50, 10)):
            with RowCounter([sa, sb], limit).start() as counter:
                counter._thread.join(10)
                assert counter.total == expected


class _Failing(Source):
    """Two chunks of 3 rows, then a row the reader cannot take (as a file truncated or
    changed under the run would give)."""

    def __init__(self) -> None:
        info = SourceInfo(file="x.csv", format="csv", headers=["Email"], columns=["Email"])
        super().__init__(info, Path("x.csv"), chunk_rows=3, temp=False)

    def chunks(self) -> Iterator[Chunk]:
        for start in (0, 3):
            frame = pd.DataFrame({"Email": ["a@example.com"] * 3}, dtype=object)
            yield Chunk("x.csv", frame, np.arange(start + 2, start + 5, dtype=np.int64))
        raise InputError("x.csv cannot be read as CSV at row 8; fix that row and run again.")


def test_a_file_that_cannot_be_read_to_the_end_leaves_the_count_unknown() -> None:
    with RowCounter([_Failing()]).start() as counter:
        counter._thread.join(10)
        assert not counter._thread.is_alive()
        assert counter.total is None
