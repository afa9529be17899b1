"""Spreadsheets (xlsx, xlsm, xls, ods) read with python-calamine, cells as the text shown.

The header is found as for CSV (``readers.header``): a title or filter lines above the column
names are skipped, and row numbers stay the sheet's own.

calamine loads a whole sheet into memory at once (about 1 KB per row of a lead list, more
than the file's own size ten times over), so a sheet is read in pieces: its XML is streamed
out of the archive and cut at row boundaries every ``PIECE_BYTES``, and each piece, wrapped
as a small workbook with the original styles and shared strings, is read by calamine and
rendered to text into an unnamed spill file. Cells thus render exactly as calamine renders
the whole sheet (the same parser sees the same cell XML, styles and strings); the pieces
are re-aligned to the sheet's first used column and width, which calamine's range takes
from every row. A workbook whose layout the cutting does not know (no ``sheetData``, rows
without numbers, an .xls or an ODS) is read whole, as before.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import pickle
import posixpath
import re
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree

from python_calamine import CalamineError, CalamineSheet, CalamineWorkbook

from foxreach_cli.errors import InputError
from foxreach_cli.mapping import names_email
from foxreach_cli.models import Chunk, SourceInfo
from foxreach_cli.readers.base import Source, clean_header, display_name, unique_keys
from foxreach_cli.readers.header import SAMPLE_ROWS, SCAN_ROWS, choose_header, sample_values

#: What each format is called in messages.
_KIND_NAMES = {"xlsx": "XLSX workbook", "xls": "Excel .xls workbook", "ods": "ODS spreadsheet"}


class XlsxSource(Source):
    """A spreadsheet (xlsx, xlsm, xls, ods) read with python-calamine."""

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
        self._what = _KIND_NAMES.get(kind, "XLSX workbook")
        self.path = path
        self._sheet: _Sheet | None = None
        try:
            self._workbook = CalamineWorkbook.from_path(str(path))
        except CalamineError as exc:
            raise InputError(
                f"{name} is not a valid {self._what} ({exc}); open it in Excel, save it "
                "again as .xlsx (or export CSV) and run again."
            ) from exc
        try:
            sheet_name, self._sheet = self._pick_sheet(sheet)
            head: list[tuple[int, list[str]]] = []
            wanted = SCAN_ROWS + SAMPLE_ROWS + 1
            if header_row is not None:
                wanted = max(wanted, header_row + SAMPLE_ROWS + 1)
            for record in self._sheet_rows():
                head.append(record)
                if len(head) >= wanted:
                    break
            if not any(any(cells) for _row, cells in head):
                raise InputError(
                    f"{name} has no header row (sheet {sheet_name!r} is empty); "
                    "pick a sheet with --sheet or put the column names in the first row."
                )
            index, choice = choose_header(head, name, email_header=names_email, override=header_row)
        except CalamineError as exc:
            self.close()
            raise InputError(
                f"{name} is not a valid {self._what} ({exc}); open it in Excel, save it "
                "again as .xlsx (or export CSV) and run again."
            ) from exc
        except InputError:
            self.close()
            raise
        header_at, header = head[index]
        self._header_row = header_at
        headers = [clean_header(cell) for cell in header]
        columns = unique_keys(headers)
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
        super().__init__(info, path, chunk_rows, temp)

    def _pick_sheet(self, wanted: str | None) -> tuple[str, _Sheet]:
        """The sheet asked for (name, then 1-based number), else the first with any cells."""
        workbook = self._workbook
        names: list[str] = list(workbook.sheet_names)
        if wanted is not None:
            folded = [n for n in names if n.casefold() == wanted.strip().casefold()]
            if wanted in names:
                return wanted, self._open_sheet(names.index(wanted), wanted)
            if folded:
                return folded[0], self._open_sheet(names.index(folded[0]), folded[0])
            if wanted.strip().isdigit() and 1 <= int(wanted) <= len(names):
                index = int(wanted) - 1
                return names[index], self._open_sheet(index, names[index])
            listed = ", ".join(repr(n) for n in names)
            raise InputError(
                f"{self._name} has no sheet {wanted!r}; its sheets are {listed}. "
                f"Pass --sheet with one of those names or a number from 1 to {len(names)}."
            )
        for index, sheet_name in enumerate(names):
            try:
                candidate = self._open_sheet(index, sheet_name)
            except InputError:
                raise
            except Exception:  # chart sheets and the like hold no data
                continue
            if not candidate.empty:
                return sheet_name, candidate
            candidate.close()
        raise InputError(
            f"{self._name} has no header row (every sheet is empty); "
            "put the leads on a sheet and run again."
        )

    def _open_sheet(self, index: int, name: str) -> _Sheet:
        """The sheet read in pieces when its XML can be cut, else whole."""
        member = _sheet_members(self.path).get(name)
        if member is not None:
            try:
                return _PiecewiseSheet(self.path, member, name)
            except _CannotCut:
                pass
        return _WholeSheet(self._workbook.get_sheet_by_index(index))

    def _sheet_rows(self) -> Iterator[tuple[int, list[str]]]:
        """Every row of the sheet as (spreadsheet row number, cells as text)."""
        assert self._sheet is not None
        return self._sheet.rows()

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        for row, cells in self._sheet_rows():
            if row > self._header_row:
                yield row, cells

    def chunks(self) -> Iterator[Chunk]:
        try:
            yield from self._chunks_from_records(self._records())
        except CalamineError as exc:
            raise InputError(
                f"{self._name} is not a valid {self._what} ({exc}); open it in Excel, "
                "save it again and run again."
            ) from exc

    def close(self) -> None:
        if self._sheet is not None:
            self._sheet.close()
        with contextlib.suppress(Exception):
            self._workbook.close()
        if hasattr(self, "info"):  # fully opened: the base class may own a temp copy
            super().close()


def _cell_text(value: Any) -> str:
    """A calamine cell as the text Excel shows: 4155550100 not 4155550100.0, TRUE, ISO dates."""
    kind = type(value)
    if kind is str:
        return value
    if kind is float:
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return f"{value:.15g}"  # Excel shows 15 significant digits: 0.1+0.2 is 0.3
    if kind is bool:
        return "TRUE" if value else "FALSE"
    if kind is int:
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


class _CannotCut(Exception):
    """The sheet's XML is not laid out as the piecewise reader expects."""


class _Sheet:
    """A sheet's rows as (spreadsheet row number, cells as text), readable again."""

    empty: bool

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        raise NotImplementedError

    def close(self) -> None:
        """Release what the sheet holds."""


class _WholeSheet(_Sheet):
    """A sheet calamine loads whole (workbooks the piecewise reader cannot cut)."""

    def __init__(self, sheet: CalamineSheet) -> None:
        self._sheet = sheet
        self.empty = sheet.height == 0

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        sheet = self._sheet
        start = sheet.start
        rows = iter(sheet.iter_rows())
        first = next(rows, None)
        if first is None or start is None:
            return
        # calamine versions differ on whether iteration starts at A1 or at the first used
        # row. The first used row is never empty, so an empty first row means A1.
        number = 1 if not any(cell != "" for cell in first) else start[0] + 1
        yield number, [_cell_text(cell) for cell in first]
        for cells in rows:
            number += 1
            yield number, [_cell_text(cell) for cell in cells]


#: Uncompressed sheet XML per piece: bounds calamine's memory to a few times this.
PIECE_BYTES = 8 << 20
_BLOCK = 1 << 20
_SHEET_DATA = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?sheetData\b[^>]*?(/?)>")
_WORKSHEET = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?worksheet\b")
_DIMENSION = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?dimension\b[^>]*/>")
_ROW_WITHOUT_NUMBER = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row(?=[\s>/])(?![^>]*\sr=)")
_NOT_IN_PIECES = ("xl/worksheets/", "xl/chartsheets/", "xl/media/", "xl/drawings/")


def _sheet_members(path: Path) -> dict[str, str]:
    """Sheet name -> archive member of its XML, from workbook.xml and its relationships;
    empty when the archive is not laid out that way (then sheets are read whole)."""
    try:
        with zipfile.ZipFile(path) as archive:
            workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
            rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
            present = set(archive.namelist())
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError, zlib.error):
        return {}
    targets = {rel.get("Id"): rel.get("Target") or "" for rel in rels.iter()}
    members: dict[str, str] = {}
    for element in workbook.iter():
        if not element.tag.endswith("}sheet") and element.tag != "sheet":
            continue
        rid = next((v for k, v in element.attrib.items() if k.endswith("}id")), None)
        target = targets.get(rid, "")
        if not target:
            continue
        member = target[1:] if target.startswith("/") else posixpath.join("xl", target)
        member = posixpath.normpath(member)
        if member in present:
            members[element.get("name", "")] = member
    return members


class _PiecewiseSheet(_Sheet):
    """A sheet read by calamine piece by piece, its rows rendered into a spill file."""

    def __init__(self, path: Path, member: str, name: str) -> None:
        self._spill: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self._pieces = 0
        first_col: int | None = None
        end_col = -1
        try:
            with tempfile.TemporaryDirectory(prefix="foxreach-xlsx-") as tmp:
                template = Path(tmp) / "template.xlsx"
                piece_path = Path(tmp) / "piece.xlsx"
                with zipfile.ZipFile(path) as archive:
                    _write_template(archive, template, member)
                    for xml in _cut(archive, member):
                        shutil.copyfile(template, piece_path)
                        with zipfile.ZipFile(piece_path, "a") as piece:
                            piece.writestr(member, xml)
                        del xml
                        start, rows = _read_piece(piece_path, name)
                        if start is None:
                            continue
                        width = max((len(r) for r in rows), default=0)
                        first_col = start[1] if first_col is None else min(first_col, start[1])
                        end_col = max(end_col, start[1] + width - 1)
                        pickle.dump((start, rows), self._spill, pickle.HIGHEST_PROTOCOL)
                        self._pieces += 1
                        del rows
        except (zipfile.BadZipFile, KeyError, OSError, zlib.error, _CannotCut) as exc:
            self._spill.close()
            raise _CannotCut(str(exc)) from exc
        except BaseException:
            self._spill.close()
            raise
        self._first_col = first_col or 0
        self._width = end_col - self._first_col + 1
        self.empty = self._pieces == 0

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        self._spill.seek(0)
        for _ in range(self._pieces):
            (start_row, start_col), rows = pickle.load(self._spill)
            left = [""] * (start_col - self._first_col)
            for number, cells in enumerate(rows, start=start_row + 1):
                right = [""] * (self._width - len(left) - len(cells))
                yield number, left + cells + right

    def close(self) -> None:
        self._spill.close()


def _write_template(archive: zipfile.ZipFile, template: Path, member: str) -> None:
    """A workbook of every part calamine reads at opening (styles, shared strings, ...),
    without the sheets: each piece is this plus one piece of ``member``."""
    with zipfile.ZipFile(template, "w") as out:
        for info in archive.infolist():
            if info.filename == member or info.filename.startswith(_NOT_IN_PIECES):
                continue
            with archive.open(info) as src, out.open(info.filename, "w", force_zip64=True) as dst:
                shutil.copyfileobj(src, dst, _BLOCK)


def _cut(archive: zipfile.ZipFile, member: str) -> Iterator[bytes]:
    """The sheet's XML as whole worksheets of about PIECE_BYTES each, cut between rows."""
    with archive.open(member) as fh:
        buf = bytearray()
        while (match := _SHEET_DATA.search(buf)) is None:
            block = fh.read(_BLOCK)
            if not block:
                raise _CannotCut("no sheetData")
            buf += block
        if match.group(2):  # <sheetData/>: no rows
            return
        ns = match.group(1) + b":" if match.group(1) else b""
        found = _WORKSHEET.search(buf, 0, match.start())
        if found is None:
            raise _CannotCut("no worksheet element")
        ws_ns = found.group(1) + b":" if found.group(1) else b""
        # The dimension would make calamine reserve room for the whole sheet in each piece.
        head = _DIMENSION.sub(b"", bytes(buf[: match.end()]))
        tail = b"</" + ns + b"sheetData></" + ws_ns + b"worksheet>"
        row_end = b"</" + ns + b"row>"
        data_end = b"</" + ns + b"sheetData>"
        body = buf[match.end() :]
        del buf
        scanned = 0
        while True:
            end = body.find(data_end, max(scanned - len(data_end), 0))
            if end >= 0:
                del body[end:]
            # Cut after the last row end within PIECE_BYTES (after the first, for a row
            # longer than that), as long as a piece's worth is there.
            while len(body) >= PIECE_BYTES:
                cut = body.rfind(row_end, 0, PIECE_BYTES)
                cut = body.find(row_end) if cut < 0 else cut
                if cut < 0:
                    break
                cut += len(row_end)
                yield _piece(head, body[:cut], tail)
                del body[:cut]
            if end >= 0:
                if body.strip():
                    yield _piece(head, body, tail)
                return
            scanned = len(body)
            block = fh.read(_BLOCK)
            if not block:
                raise _CannotCut("the sheet XML ends inside sheetData")
            body += block


def _piece(head: bytes, rows: bytearray, tail: bytes) -> bytes:
    if _ROW_WITHOUT_NUMBER.search(rows):
        raise _CannotCut("rows without numbers")  # calamine would number them from the piece
    return head + rows + tail


def _read_piece(path: Path, name: str) -> tuple[tuple[int, int] | None, list[list[str]]]:
    """The piece's first used (row, column), 0-based, and its rows rendered as text."""
    workbook = CalamineWorkbook.from_path(str(path))
    try:
        sheet = workbook.get_sheet_by_name(name)
        start = sheet.start
        if start is None:
            return None, []
        return start, [[_cell_text(cell) for cell in cells] for cells in sheet.to_python()]
    finally:
        workbook.close()
