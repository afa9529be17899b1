"""Spreadsheets (xlsx, xlsm, xls, ods): the sheet, its header and its rows as displayed.

The format's own module streams the rows (``readers.xlsx``, ``readers.ods``, ``readers.xls``),
each cell as the text the spreadsheet shows (``readers.numfmt``); this module picks the sheet,
finds the header as for CSV (``readers.header``: title or filter rows above the column names
are passed over, row numbers stay the sheet's own) and turns the rows into chunks.

Memory is bounded whatever the workbook declares: rows are streamed, a row keeps only the
header's width (plus a little, so a stray cell beyond it is flagged, not lost), chunks hold a
bounded number of cells, and a header wider than :data:`MAX_HEADER_COLUMNS` is refused.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

from foxreach_cli.errors import InputError
from foxreach_cli.mapping import names_email
from foxreach_cli.readers.base import Source, clean_header, display_name, unique_keys
from foxreach_cli.readers.header import SAMPLE_ROWS, SCAN_ROWS, choose_header, sample_values
from foxreach_cli.readers.ods import OdsBook
from foxreach_cli.readers.xls import XlsBook
from foxreach_cli.readers.xlsx import Row, XlsxBook, column_name
from foxreach_cli.stage_data import Chunk, SourceInfo

#: The widest header read from a workbook: far more columns than any lead export has.
MAX_HEADER_COLUMNS = 1024
#: Cells kept beyond the header's width in a data row, so a stray cell there is flagged with
#: the row (and kept in the rejected file) at its place.
SURPLUS_COLUMNS = 256
#: Cells in one chunk at most: wide sheets get fewer rows per chunk.
CHUNK_CELLS = 2_000_000

Book = XlsxBook | OdsBook | XlsBook

_BOOKS: dict[str, Callable[[Path, str], Book]] = {"xlsx": XlsxBook, "ods": OdsBook, "xls": XlsBook}


#: Rows of each sheet looked at to tell a sheet of leads (an email address among them).
LEAD_SCAN_ROWS = SCAN_ROWS + SAMPLE_ROWS
_ADDRESS = re.compile(r"[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[A-Za-z]{2,}")


def _first_rows(book: Book, index: int, count: int) -> list[list[str]]:
    """The first ``count`` non-blank rows of a sheet, merged ranges not filled."""
    rows = (
        book.rows(index, MAX_HEADER_COLUMNS, merged=False)
        if isinstance(book, XlsxBook)
        else book.rows(index, MAX_HEADER_COLUMNS)
    )
    try:
        return [cells for _n, cells, _far, _last in itertools.islice(rows, count)]
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()


def lead_sheets(book: Book) -> tuple[list[int], list[int]]:
    """(the sheets holding leads, the sheets with any cells), by index in order. A sheet
    holds leads when an email address is among its first :data:`LEAD_SCAN_ROWS` rows; a
    cover sheet, a summary or a chart's data holds none."""
    leads: list[int] = []
    filled: list[int] = []
    for index in range(len(book.sheet_names)):
        head = _first_rows(book, index, LEAD_SCAN_ROWS)
        if not head:
            continue
        filled.append(index)
        if any(_ADDRESS.search(cell) for cells in head for cell in cells if "@" in cell):
            leads.append(index)
    return leads, filled


def sheet_label(file: str, sheet: str) -> str:
    """How one sheet of a workbook read sheet by sheet is named: ``book.xlsx [Q2]``."""
    return f"{file} [{sheet}]"


class XlsxSource(Source):
    """A spreadsheet (xlsx, xlsm, xls, ods) streamed by its format's reader."""

    def __init__(
        self,
        file: str,
        path: Path,
        *,
        sheet: str | None,
        chunk_rows: int,
        temp: bool,
        kind: str = "xlsx",
        header_row: int | None = None,
    ) -> None:
        name = display_name(file)
        self._name = name
        self.path = path
        self._book: Book = _BOOKS[kind](path, name)
        self._sheet_notes: list[str] = []
        #: The sheets holding leads, in order (found when no sheet was asked for), and the
        #: note naming those not read.
        self.lead_sheet_names: list[str] = []
        self.others_note: str | None = None
        try:
            self._index, sheet_name = self._pick_sheet(sheet)
            head: list[tuple[int, list[str]]] = []
            reach: list[int] = []
            wanted = SCAN_ROWS + SAMPLE_ROWS + 1
            if header_row is not None:
                wanted = max(wanted, header_row + SAMPLE_ROWS + 1)
            rows = self._book.rows(self._index, MAX_HEADER_COLUMNS)
            for number, cells, _far, last in rows:
                head.append((number, cells))
                reach.append(last)
                if len(head) >= wanted:
                    break
            rows.close()
            if not head:
                raise InputError(
                    f"{name} has no header row (sheet {sheet_name!r} is empty); "
                    "pick a sheet with --sheet or put the column names in the first row."
                )
            index, choice = choose_header(head, name, email_header=names_email, override=header_row)
            widest = max(reach[index : index + SAMPLE_ROWS + 1])
            if widest > MAX_HEADER_COLUMNS:
                at = next(i for i in range(index, len(head)) if reach[i] == widest)
                raise InputError(
                    f"{name}: row {head[at][0]} of sheet {sheet_name!r} reaches column "
                    f"{column_name(widest)} ({widest:,} columns), more than the "
                    f"{MAX_HEADER_COLUMNS:,} a lead list is read with; delete the cells right "
                    "of the last real column and run again."
                )
        except BaseException:
            self._book.close()
            raise
        header_at, header = head[index]
        self._header_row = header_at
        width = max(len(cells) for _row, cells in head[index : index + SAMPLE_ROWS + 1])
        header = header + [""] * (width - len(header))
        headers = [clean_header(cell) for cell in header]
        columns = unique_keys(headers)
        self._keep = width + SURPLUS_COLUMNS
        self._reported: set[str] = set()
        info = SourceInfo(
            file=file,
            format=kind,
            headers=headers,
            columns=columns,
            sheet=sheet_name,
            header_row=header_at,
            samples=sample_values(columns, head[index + 1 :][:SAMPLE_ROWS]),
            header_choice=choice,
        )
        super().__init__(info, path, min(chunk_rows, max(1, CHUNK_CELLS // width)), temp)
        self.info.notes.extend(self._sheet_notes)
        self._note_merged()
        self._note_formats()

    def _note_merged(self) -> None:
        """Say which merged ranges give their value to several rows (XLSX)."""
        if not isinstance(self._book, XlsxBook):
            return
        down = [m for m in self._book.merged_ranges(self._index) if m[2] > m[0]]
        if not down:
            return
        shown = ", ".join(
            f"{column_name(c1 + 1)}{r1}:{column_name(c2 + 1)}{r2}" for r1, c1, r2, c2 in down[:5]
        )
        more = f" and {len(down) - 5:,} more" if len(down) > 5 else ""
        ranges = "a merged cell range" if len(down) == 1 else f"{len(down):,} merged cell ranges"
        self.info.notes.append(
            f"{self._name}: sheet {self.info.sheet!r} has {ranges} over several rows "
            f"({shown}{more}); each gives its value to every row it covers."
        )

    def _pick_sheet(self, wanted: str | None) -> tuple[int, str]:
        """The sheet asked for (name, then 1-based number), else the first holding leads
        (:func:`lead_sheets`), else the first with any cells; a sheet chosen over the first,
        and other sheets of leads left unread, are said in ``notes``."""
        names: list[str] = list(self._book.sheet_names)
        if wanted is None:
            leads, filled = lead_sheets(self._book)
            self.lead_sheet_names = [names[i] for i in leads]
            if leads:
                index = leads[0]
                first = filled[0]
                if index != first:
                    self._sheet_notes.append(
                        f"{self._name}: its first sheet {names[first]!r} holds no email "
                        f"addresses; sheet {names[index]!r}, the first that does, is read."
                    )
                others = [names[i] for i in leads[1:]]
                if others:
                    listed = ", ".join(repr(n) for n in others)
                    said = (
                        f"sheet {listed} also holds email addresses and was"
                        if len(others) == 1
                        else f"sheets {listed} also hold email addresses and were"
                    )
                    self.others_note = (
                        f"{self._name}: {said} not read; read one with --sheet NAME, or every "
                        "sheet with --sheet all."
                    )
                    self._sheet_notes.append(self.others_note)
                return index, names[index]
        if wanted is not None:
            folded = [n for n in names if n.casefold() == wanted.strip().casefold()]
            if wanted in names:
                return names.index(wanted), wanted
            if folded:
                return names.index(folded[0]), folded[0]
            if wanted.strip().isdigit() and 1 <= int(wanted) <= len(names):
                return int(wanted) - 1, names[int(wanted) - 1]
            listed = ", ".join(repr(n) for n in names)
            raise InputError(
                f"{self._name} has no sheet {wanted!r}; its sheets are {listed}. "
                f"Pass --sheet with one of those names or a number from 1 to {len(names)}."
            )
        for index, sheet_name in enumerate(names):
            if _first_rows(self._book, index, 1):
                return index, sheet_name
        raise InputError(
            f"{self._name} has no header row (every sheet is empty); "
            "put the leads on a sheet and run again."
        )

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        header_row = self._header_row
        keep = self._keep
        row: Row
        for row in self._book.rows(self._index, keep):
            number, cells, far, _last = row
            if number <= header_row:
                continue
            if far:
                # Cells further right than the kept width follow it, closed up: the row is
                # flagged as too long and the rejected file keeps their text.
                cells = cells + [""] * (keep - len(cells)) + far
            yield number, cells

    def chunks(self) -> Iterator[Chunk]:
        yield from self._chunks_from_rows(self._records())
        self._note_formats()

    def count_chunks(self) -> Generator[Chunk, None, None]:
        # The same rows, without noting the number formats (the run's own read does).
        yield from self._chunks_from_rows(self._records())

    def _note_formats(self) -> None:
        """Record, once each, the number formats shown as General for want of understanding."""
        new = sorted(self._book.unknown_formats - self._reported)
        if new:
            self._reported.update(new)
            listed = ", ".join(repr(code) for code in new)
            self.info.notes.append(
                f"{self._name}: number formats not understood, shown as General: {listed}"
            )

    def close(self) -> None:
        book = getattr(self, "_book", None)
        if book is not None:
            book.close()
        if hasattr(self, "info"):  # fully opened: the base class may own a temp copy
            super().close()
