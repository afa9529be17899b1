"""The read stage: input files -> chunks of raw text cells with spreadsheet row numbers.

    expand_inputs(paths)          file arguments -> the files to read ('-' is stdin)
    open_source(path, ...)        -> Source, a context manager
        .info                     SourceInfo: format, headers, column keys, encoding, ...
        .path                     a real file holding the bytes (stdin is spooled first)
        .chunks()                 -> Iterator[Chunk]; may be called again (re-reads)
    read_rows(source, rows)       re-read the original cells of some rows (rejected-rows CSV)

Every cell stays text exactly as written (a phone never becomes a float). ``Chunk.rows``
holds the row number a person sees in a spreadsheet: the header is row 1 (or later when
blank lines precede it), a quoted cell with line breaks is one row, and blank rows keep
their number but produce no data row.

How a CSV is read, and why:

- The whole file is decoded once up front in 1 MB blocks (ASCII blocks are skipped at
  memory speed), so a bad byte is reported before the first chunk, never halfway through
  an import. BOMs decide first; UTF-8 is tried next; otherwise charset-normalizer guesses
  and single-byte Western text is read as cp1252, the way Excel writes it. A file that
  holds well-formed multi-byte UTF-8 as well as bad bytes is damaged UTF-8, not cp1252: it
  is refused (naming the byte and line) rather than read with every accent garbled.
- A header wider than Excel's 16,384 columns is refused: such a file is not a lead list
  (usually the wrong delimiter), and pandas' per-column cost would make it run for minutes.
- Rows are parsed by pandas' C engine in chunks (the fast path). A row with more cells
  than the header makes that engine stop; the rest of the file is then read with Python's
  ``csv`` module, which keeps such rows and flags them in ``ROW_ERROR_COLUMN``.
- A quote that is never closed swallows the rest of the file, so it is an ``InputError``
  naming the row where the quote opens. When the file holds an odd number of quote
  characters that check runs in ``open_source`` (before any chunk is handed out).
- NUL bytes are removed from cells: they are never meaningful in a lead list.

XLSX (and XLSM) workbooks are read with python-calamine, cells converted to the text
Excel shows. calamine loads a whole sheet into memory, so a sheet is read in pieces of
its XML (``readers.workbook``); a sheet holds at most 1,048,576 rows.

This module is the entry point; the work is in ``foxreach_cli.readers``: ``base`` (Source,
header keys), ``encoding``, ``delimited`` (CSV/TSV/TXT) and ``workbook`` (XLSX).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from foxreach_cli.errors import EmptyFileError, InputError, UsageError
from foxreach_cli.readers.base import (
    BLOCK_BYTES,
    SAMPLE_BYTES,
    Source,
    display_name,
    open_binary,
)
from foxreach_cli.readers.delimited import CsvSource, check_delimiter
from foxreach_cli.readers.encoding import (
    bom_of,
    check_encoding,
    utf16_without_bom,
)
from foxreach_cli.readers.workbook import XlsxSource

__all__ = ["Source", "expand_inputs", "open_source", "read_rows"]


#: Suffixes picked up from a directory argument.
DIRECTORY_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm")


_ZIP_MAGIC = b"PK\x03\x04"


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls and password-protected workbooks


_BINARY_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"GIF8": "a GIF image",
    b"\xff\xd8\xff": "a JPEG image",
    b"%PDF": "a PDF document",
    b"\x1f\x8b": "a gzip archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"Rar!": "a RAR archive",
    b"\x7fELF": "a program",
    b"MZ": "a program",
}


# Control bytes that never occur in text (tab, CR, LF, FF, VT and ESC excluded).
_CONTROL_BYTES = bytes([*range(0, 9), 14, 15, *range(16, 27), 28, 29, 30, 31, 127])


def expand_inputs(paths: Sequence[str]) -> list[str]:
    """Turn file arguments into the list of files to read, in order.

    Files are kept as given and ``-`` (stdin) is kept as is. A directory becomes its
    ``*.csv *.tsv *.txt *.xlsx *.xlsm`` files (case-insensitive, not recursive, hidden files
    and Excel's ``~$`` lock files left out) in name order.

    Raises:
        InputError: a path does not exist, or a directory holds no such file.
    """
    files: list[str] = []
    for given in paths:
        if given == "-":
            files.append(given)
            continue
        path = Path(given)
        if path.is_dir():
            found = sorted(
                entry.name
                for entry in path.iterdir()
                if entry.suffix.lower() in DIRECTORY_SUFFIXES
                and not entry.name.startswith((".", "~$"))
                and entry.is_file()
            )
            if not found:
                raise InputError(
                    f"{given} holds no .csv, .tsv, .txt or .xlsx files; "
                    "put the lead files there or name the files directly."
                )
            files.extend(str(path / name) for name in found)
        elif path.exists():
            files.append(given)
        else:
            raise InputError(f"No such file: {given}")
    return files


def open_source(
    path: str,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    chunk_rows: int = 50_000,
    stdin: BinaryIO | None = None,
) -> Source:
    """Open one input file (``-`` for stdin) and find out its format, encoding and header.

    The format is decided by content (a ZIP archive is a workbook, text is CSV), then by
    name. ``encoding`` and ``delimiter`` apply to CSV (``"tab"`` and ``"\\t"`` mean a tab),
    ``sheet`` (a name, or a 1-based number) to workbooks; other combinations are ignored.

    Raises:
        UsageError: an unknown encoding name, a delimiter that is not one character, or
            ``chunk_rows`` < 1.
        EmptyFileError: a 0-byte file or empty stdin.
        InputError: anything else that makes the file unreadable, as one sentence.
    """
    if chunk_rows < 1:
        raise UsageError(f"chunk_rows must be at least 1, not {chunk_rows}.")
    delimiter = check_delimiter(delimiter)
    codec = check_encoding(encoding) if encoding is not None else None
    name = display_name(path)
    temp = False
    if path == "-":
        real = _spool(stdin if stdin is not None else sys.stdin.buffer, name)
        temp = True
    else:
        real = Path(path)
        if real.is_dir():
            raise InputError(f"{path} is a directory; name the files in it or pass it alone.")
        if not real.exists():
            raise InputError(f"No such file: {path}")
        if not real.is_file():  # a pipe such as <(zcat leads.csv.gz): it can be read once
            with open_binary(real, name) as pipe:
                real = _spool(pipe, name)
            temp = True
    try:
        try:
            size = real.stat().st_size
            with real.open("rb") as handle:
                head = handle.read(SAMPLE_BYTES)
        except OSError as exc:
            raise InputError(f"Cannot read {name}: {exc.strerror or exc}.") from exc
        if size == 0:
            raise EmptyFileError(f"{name} is empty (0 bytes).")
        if _kind(head, name, Path(path)) == "xlsx":
            return XlsxSource(path, real, sheet=sheet, chunk_rows=chunk_rows, temp=temp)
        return CsvSource(
            path,
            real,
            size=size,
            head=head,
            codec=codec,
            delimiter=delimiter,
            chunk_rows=chunk_rows,
            temp=temp,
        )
    except BaseException:
        if temp:
            with contextlib.suppress(OSError):
                real.unlink()
        raise


def read_rows(source: Source, rows: set[int]) -> Iterator[tuple[int, list[str]]]:
    """Re-read the original cells of the given spreadsheet rows, in row order.

    Yields ``(row, cells)`` with ``cells`` aligned to ``source.info.headers``: padded with
    "" when the row is short, and keeping any surplus cells at the end so nothing of the
    row is lost. Rows that are blank, or beyond the end, are not yielded. Memory stays flat:
    the file is streamed, stopping after the highest row asked for.
    """
    if not rows:
        return
    width = len(source.info.headers)
    highest = max(rows)
    for row, cells in source._records():
        if row > highest:
            break
        if row in rows and any(cells):
            yield row, cells + [""] * (width - len(cells))


def _spool(stream: BinaryIO, name: str) -> Path:
    """Copy a stream to a temp file so it can be sniffed, re-read and hashed."""
    source = getattr(stream, "buffer", stream)  # a text stream's bytes
    fd, temp = tempfile.mkstemp(prefix="foxreach-stdin-")
    try:
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(source, out, BLOCK_BYTES)
    except OSError as exc:
        os.unlink(temp)
        raise InputError(f"Cannot read {name}: {exc.strerror or exc}.") from exc
    return Path(temp)


def _kind(head: bytes, name: str, path: Path) -> str:
    """'xlsx' or 'csv' by content first, then by name; binary files are refused."""
    if head.startswith(_ZIP_MAGIC):
        return "xlsx"
    if head.startswith(_OLE_MAGIC):
        raise InputError(
            f"{name} is an old Excel (.xls) or password-protected workbook; save it as "
            ".xlsx without a password, or as CSV, and run again."
        )
    what = next((label for magic, label in _BINARY_MAGIC.items() if head.startswith(magic)), None)
    if what is None and _looks_binary(head):
        what = "binary"
    if what is None:
        return "csv"
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raise InputError(
            f"{name} is not a valid XLSX workbook (it looks like {what} data); "
            "export the sheet again as .xlsx or CSV."
            if what == "binary"
            else f"{name} is not a valid XLSX workbook (it looks like {what}); "
            "export the sheet again as .xlsx or CSV."
        )
    raise InputError(f"{name} is not a CSV or XLSX file (it looks binary).")


def _looks_binary(head: bytes) -> bool:
    sample = head[:8192]
    if bom_of(sample)[0] is not None or utf16_without_bom(sample) is not None:
        return False
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls > max(8, len(sample) // 100)
