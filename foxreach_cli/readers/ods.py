"""OpenDocument spreadsheets (.ods) streamed out of ``content.xml`` with expat.

A cell's displayed text is in its ``text:p`` paragraphs (LibreOffice writes what it shows
there, ``02134`` for a zip code formatted ``00000``), so that is what is read; a cell with
a value but no paragraph falls back to the value as General. Repeated rows and columns
(``table:number-rows-repeated``, ``table:number-columns-repeated``) are expanded only where
they hold text and only up to the width kept: the trailing runs of empty cells LibreOffice
writes to the sheet's edge cost nothing.
"""

from __future__ import annotations

import zipfile
from collections.abc import Generator, Iterator
from pathlib import Path

from foxreach_cli.errors import InputError
from foxreach_cli.readers.numfmt import general
from foxreach_cli.readers.xlsx import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_ROWS,
    MAX_SHEET_BYTES,
    ZIP_ERRORS,
    Row,
    WorkbookLimit,
    feed,
    new_parser,
    read_capped,
)

_CONTENT = "content.xml"


class OdsBook:
    """An ODS archive: its sheet names and each sheet's rows as displayed."""

    unknown_formats: set[str]

    def __init__(self, path: Path, name: str) -> None:
        self._name = name
        self.unknown_formats = set()
        try:
            self._archive = zipfile.ZipFile(path)
            if _CONTENT not in self._archive.namelist():
                raise InputError(self._invalid(f"there is no {_CONTENT} in it"))
            self.sheet_names = self._read_names()
        except (*ZIP_ERRORS, ValueError, KeyError) as exc:
            self.close()
            raise InputError(self._invalid(str(exc) or type(exc).__name__)) from exc
        except BaseException:
            self.close()
            raise

    def _invalid(self, why: str) -> str:
        return (
            f"{self._name} is not a valid ODS spreadsheet ({why}); open it in LibreOffice, "
            "save it again (or export CSV) and run again."
        )

    def close(self) -> None:
        """Close the archive."""
        archive = getattr(self, "_archive", None)
        if archive is not None:
            archive.close()

    def _blocks(self) -> Iterator[bytes]:
        return read_capped(self._archive, _CONTENT, MAX_SHEET_BYTES, self._name)

    def _read_names(self) -> list[str]:
        names: list[str] = []

        def start(tag: str, attrs: dict[str, str]) -> None:
            if tag == "table:table":
                names.append(attrs.get("table:name", ""))

        parser = new_parser(start, None, None, self._name, _CONTENT)
        fed = 0
        for block in self._blocks():
            fed = feed(parser, block, fed, self._name, _CONTENT)
        feed(parser, b"", fed, self._name, _CONTENT)
        return names

    def rows(self, index: int, keep: int) -> Generator[Row, None, None]:
        """Sheet ``index``'s non-blank rows (see ``XlsxBook.rows``)."""
        name = self._name
        done: list[Row] = []
        table = -1
        inside = False  # in the wanted table
        row_number = 0
        row_repeat = 1
        cells: list[str] = []
        far: list[str] = []
        last = 0
        col = 0
        col_repeat = 1
        paragraphs: list[str] = []
        parts: list[str] = []
        chars = 0
        in_p = 0
        hidden = 0  # inside an annotation or a nested table: not the cell's text
        value = ""
        value_type = ""

        def start(tag: str, attrs: dict[str, str]) -> None:
            nonlocal table, inside, row_number, row_repeat, cells, far, last, col, col_repeat
            nonlocal in_p, hidden, value, value_type, chars
            if not inside:
                if tag == "table:table":
                    table += 1
                    inside = table == index
                return
            if hidden:
                if tag in ("office:annotation", "table:table"):
                    hidden += 1
                return
            if tag == "table:table-cell" or tag == "table:covered-table-cell":
                col_repeat = _count(attrs.get("table:number-columns-repeated"))
                paragraphs.clear()
                value_type = attrs.get("office:value-type", "")
                value = (
                    attrs.get("office:value")
                    or attrs.get("office:date-value")
                    or attrs.get("office:time-value")
                    or attrs.get("office:boolean-value")
                    or ""
                )
            elif tag == "text:p" or tag == "text:h":
                in_p += 1
                parts.clear()
                chars = 0
            elif in_p and tag == "text:s":
                parts.append(" " * min(_count(attrs.get("text:c")), 1024))
            elif in_p and tag == "text:tab":
                parts.append("\t")
            elif in_p and tag == "text:line-break":
                parts.append("\n")
            elif tag == "table:table-row":
                row_repeat = _count(attrs.get("table:number-rows-repeated"))
                cells = []
                far = []
                last = 0
                col = 0
            elif tag in ("office:annotation", "table:table"):
                hidden = 1

        def end(tag: str) -> None:
            nonlocal inside, row_number, col, last, in_p, hidden
            if not inside:
                return
            if hidden:
                if tag in ("office:annotation", "table:table"):
                    hidden -= 1
                return
            if tag == "table:table-cell" or tag == "table:covered-table-cell":
                if paragraphs:
                    text = "\n".join(paragraphs)
                elif value and value_type in ("float", "percentage", "currency"):
                    try:
                        text = general(float(value))
                    except ValueError:
                        text = value
                elif value_type == "boolean" and value:
                    text = "TRUE" if value.lower() == "true" else "FALSE"
                else:
                    text = value
                if text and col < MAX_COLUMNS:
                    upto = min(col + col_repeat, MAX_COLUMNS)
                    last = upto
                    if col < keep:
                        stop = min(upto, keep)
                        if col > len(cells):
                            cells.extend([""] * (col - len(cells)))
                        cells.extend([text] * (stop - col))
                        if upto > keep and len(far) < 16:
                            far.append(text)
                    elif len(far) < 16:
                        far.append(text)
                col += col_repeat
            elif tag == "text:p" or tag == "text:h":
                in_p -= 1
                paragraphs.append("".join(parts))
            elif tag == "table:table-row":
                if last:
                    for _ in range(row_repeat):
                        row_number += 1
                        if row_number > MAX_ROWS:
                            raise WorkbookLimit(
                                f"{name}: row {row_number:,} is beyond the {MAX_ROWS:,} rows a "
                                "sheet can hold; open it in LibreOffice, save it again or "
                                "export CSV."
                            )
                        done.append((row_number, cells, far, last))
                else:
                    row_number += row_repeat  # blank rows, however many: only a count
            elif tag == "table:table":
                inside = False
                raise _SheetDone  # the sheets after it need not be parsed

        def text(data: str) -> None:
            nonlocal chars
            if in_p and inside and not hidden:
                parts.append(data)
                chars += len(data)
                if chars > MAX_CELL_CHARS:
                    raise WorkbookLimit(
                        f"{name} holds a cell longer than {MAX_CELL_CHARS:,} characters; "
                        "open it in LibreOffice, save it again or export CSV."
                    )

        parser = new_parser(start, end, text, name, _CONTENT)
        fed = 0
        try:
            for block in self._blocks():
                fed = feed(parser, block, fed, name, _CONTENT)
                if done:
                    yield from done
                    done.clear()
            feed(parser, b"", fed, name, _CONTENT)
        except _SheetDone:
            pass
        except ZIP_ERRORS as exc:
            raise InputError(self._invalid(str(exc) or type(exc).__name__)) from exc
        yield from done
        done.clear()


class _SheetDone(Exception):
    """Raised from a handler when the wanted sheet has ended."""


def _count(raw: str | None) -> int:
    """A repeat count attribute (1 when absent or not a positive number)."""
    if not raw:
        return 1
    try:
        return max(int(raw), 1)
    except ValueError:
        return 1
