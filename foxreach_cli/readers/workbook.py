"""Spreadsheets (xlsx, xlsm, xls, ods) read with python-calamine, cells as the text shown.

The header is found as for CSV (``readers.header``): a title or filter lines above the column
names are skipped, and row numbers stay the sheet's own.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from python_calamine import CalamineError, CalamineSheet, CalamineWorkbook

from foxreach_cli.errors import InputError
from foxreach_cli.mapping import names_email
from foxreach_cli.models import Chunk, SourceInfo
from foxreach_cli.readers.base import Source, clean_header, display_name, unique_keys
from foxreach_cli.readers.header import SAMPLE_ROWS, SCAN_ROWS, find_header, sample_values

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
            index = find_header(head, name, email_header=names_email, override=header_row)
        except CalamineError as exc:
            self._workbook.close()
            raise InputError(
                f"{name} is not a valid {self._what} ({exc}); open it in Excel, save it "
                "again as .xlsx (or export CSV) and run again."
            ) from exc
        except InputError:
            self._workbook.close()
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
        )
        super().__init__(info, path, chunk_rows, temp)

    def _pick_sheet(self, wanted: str | None) -> tuple[str, CalamineSheet]:
        """The sheet asked for (name, then 1-based number), else the first with any cells.

        The sheet object is kept: calamine loads a sheet's cells when it is fetched.
        """
        workbook = self._workbook
        names: list[str] = list(workbook.sheet_names)
        if wanted is not None:
            folded = [n for n in names if n.casefold() == wanted.strip().casefold()]
            if wanted in names:
                return wanted, workbook.get_sheet_by_name(wanted)
            if folded:
                return folded[0], workbook.get_sheet_by_name(folded[0])
            if wanted.strip().isdigit() and 1 <= int(wanted) <= len(names):
                return names[int(wanted) - 1], workbook.get_sheet_by_index(int(wanted) - 1)
            listed = ", ".join(repr(n) for n in names)
            raise InputError(
                f"{self._name} has no sheet {wanted!r}; its sheets are {listed}. "
                f"Pass --sheet with one of those names or a number from 1 to {len(names)}."
            )
        for index, sheet_name in enumerate(names):
            try:
                candidate = workbook.get_sheet_by_index(index)
            except Exception:  # chart sheets and the like hold no data
                continue
            if candidate.height > 0:
                return sheet_name, candidate
        raise InputError(
            f"{self._name} has no header row (every sheet is empty); "
            "put the leads on a sheet and run again."
        )

    def _sheet_rows(self) -> Iterator[tuple[int, list[str]]]:
        """Every row of the sheet as (spreadsheet row number, cells as text)."""
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
        with contextlib.suppress(Exception):
            self._workbook.close()
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
