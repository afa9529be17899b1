"""Old Excel .xls (BIFF) workbooks read with xlrd, each number shown with its format.

xlrd (``formatting_info=True``) gives every cell its XF record and every XF its FORMAT
code, which ``readers.numfmt`` renders. xlrd reads the whole file into memory, so the file
size is capped (:data:`MAX_XLS_BYTES`): a .xls holds at most 65,536 rows of 256 columns and
is not compressed, so its size bounds what xlrd builds from it.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path

import xlrd

from foxreach_cli.errors import InputError
from foxreach_cli.readers.numfmt import (
    BUILTIN_FORMATS,
    Formatter,
    TextFormatter,
    compile_format,
    compile_text_format,
    general,
)
from foxreach_cli.readers.xlsx import Row, WorkbookLimit

#: The largest .xls read: xlrd holds up to about seven times the file in memory (a
#: 15.6 MB file of 65,000 rows took 95 MB), so this keeps it under 300 MB.
MAX_XLS_BYTES = 40 << 20

_LOCALE_IDS = {14: "yyyy-mm-dd", 22: "yyyy-mm-dd h:mm"}


def password_sentence(name: str) -> str:
    """What to say about a workbook saved with a password to open it."""
    return (
        f"{name} is protected by a password; open it in Excel, remove the password "
        "(File > Info > Protect Workbook > Encrypt with Password, leave it empty), save it "
        "and run again."
    )


class XlsBook:
    """A .xls workbook: its sheet names and each sheet's rows as displayed."""

    def __init__(self, path: Path, name: str) -> None:
        self._name = name
        self.unknown_formats: set[str] = set()
        size = path.stat().st_size
        if size > MAX_XLS_BYTES:
            raise WorkbookLimit(
                f"{name} is a {size >> 20:,} MB .xls workbook, more than the "
                f"{MAX_XLS_BYTES >> 20} MB read in this old format; save it as .xlsx or "
                "export CSV, and run again."
            )
        # xlrd writes its warnings to stdout (which --json owns), also when loading a sheet.
        self._quiet = open(os.devnull, "w")  # noqa: SIM115 - closed by close()
        try:
            self._book = xlrd.open_workbook(
                str(path),
                formatting_info=True,
                on_demand=True,
                ragged_rows=True,
                logfile=self._quiet,
            )
        except Exception as exc:  # xlrd raises many kinds on a damaged file
            self._quiet.close()
            if "encrypted" in str(exc).lower():
                raise InputError(password_sentence(name)) from exc
            raise InputError(
                f"{name} is not a valid Excel .xls workbook ({exc}); open it in Excel, save "
                "it again as .xlsx (or export CSV) and run again."
            ) from exc
        self.sheet_names: list[str] = list(self._book.sheet_names())
        self._formats: dict[int, Formatter | str] = {}
        self._texts: dict[int, TextFormatter | None] = {}
        for xf_index in range(len(self._book.xf_list)):
            fmt = self._format(xf_index)
            if isinstance(fmt, str):
                self.unknown_formats.add(fmt)

    def close(self) -> None:
        """Release the workbook."""
        self._book.release_resources()
        self._quiet.close()

    def _code(self, xf_index: int) -> str:
        """The number format code of an XF record."""
        book = self._book
        try:
            key = book.xf_list[xf_index].format_key
        except IndexError:
            key = 0
        code = _LOCALE_IDS.get(key)
        if code is None:
            record = book.format_map.get(key)
            code = record.format_str if record is not None else BUILTIN_FORMATS.get(key, "")
        return str(code)

    def _text_format(self, xf_index: int) -> TextFormatter | None:
        """How a text cell of an XF record is shown (None: as it is)."""
        if xf_index not in self._texts:
            code = self._code(xf_index)
            self._texts[xf_index] = compile_text_format(code) if code else None
        return self._texts[xf_index]

    def _format(self, xf_index: int) -> Formatter | str:
        """The formatter of an XF record, or its code when not understood."""
        found = self._formats.get(xf_index)
        if found is not None:
            return found
        book = self._book
        code = self._code(xf_index)
        result: Formatter | str
        if code.strip() == "@" or not code:
            result = general
        else:
            compiled = compile_format(code, book.datemode == 1)
            result = compiled if compiled is not None else code
        self._formats[xf_index] = result
        return result

    def rows(self, index: int, keep: int) -> Generator[Row, None, None]:
        """Sheet ``index``'s non-blank rows (see ``XlsxBook.rows``)."""
        try:
            sheet = self._book.sheet_by_index(index)
        except Exception as exc:
            raise InputError(
                f"{self._name} is not a valid Excel .xls workbook ({exc}); open it in Excel, "
                "save it again as .xlsx (or export CSV) and run again."
            ) from exc
        unknown = self.unknown_formats
        try:
            for r in range(sheet.nrows):
                values = sheet.row_values(r)
                types = sheet.row_types(r)
                cells: list[str] = []
                far: list[str] = []
                last = 0
                for c, (kind, value) in enumerate(zip(types, values)):
                    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
                        continue
                    if kind == xlrd.XL_CELL_TEXT:
                        shown = self._text_format(sheet.cell_xf_index(r, c))
                        text = value if shown is None else shown(value)
                    elif kind == xlrd.XL_CELL_BOOLEAN:
                        text = "TRUE" if value else "FALSE"
                    else:  # a number or a date: both are numbers under a format
                        fmt = self._format(sheet.cell_xf_index(r, c))
                        if isinstance(fmt, str):
                            unknown.add(fmt)
                            text = general(float(value))
                        else:
                            try:
                                text = fmt(float(value))
                            except (ValueError, OverflowError, ArithmeticError):
                                unknown.add(f"{value!r} under its date format")
                                text = general(float(value))
                    if not text:
                        continue
                    last = c + 1
                    if c < keep:
                        cells.extend([""] * (c - len(cells)))
                        cells.append(text)
                    elif len(far) < 16:
                        far.append(text)
                if last:
                    yield r + 1, cells, far, last
        finally:
            self._book.unload_sheet(index)
