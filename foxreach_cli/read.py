"""The READ stage: input files -> chunks of raw text cells with spreadsheet row numbers.

    expand_inputs(paths)          file arguments -> the files to read ('-' is stdin)
    open_source(path, ...)        -> Source, a context manager
        .info                     SourceInfo: format, headers, column keys, encoding, ...
        .path                     a real file holding the bytes (stdin is spooled first)
        .chunks()                 -> Iterator[Chunk]; may be called again (re-reads)
    read_rows(source, rows)       re-read the original cells of some rows (rejected-rows CSV)
    estimate_data_rows(sources)   a quick row count for the progress bar

Every cell stays text exactly as written (a phone never becomes a float); ``Chunk.rows`` holds
the row number a person sees in a spreadsheet, also when a preamble (LinkedIn's notes, a
report title) precedes the header (``readers.header`` finds it). The work is in
``foxreach_cli.readers`` (``base``, ``encoding``, ``delimited``, ``header``, and for
workbooks ``workbook``, ``xlsx``, ``ods``, ``xls``, ``numfmt``); how
encodings, delimiters, quotes and guards against files that are not lead lists work:
docs/reading.md.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

from foxreach_cli.defaults import DRY_RUN_CHUNK_ROWS
from foxreach_cli.errors import (
    EmptyFileError,
    InputError,
    UsageError,
    is_disk_full,
    storage_error,
)
from foxreach_cli.readers.base import (
    BLOCK_BYTES,
    SAMPLE_BYTES,
    Source,
    display_name,
    open_binary,
)
from foxreach_cli.readers.delimited import CsvSource
from foxreach_cli.readers.encoding import (
    bom_of,
    utf16_without_bom,
)
from foxreach_cli.readers.workbook import XlsxSource, sheet_label
from foxreach_cli.readers.xls import password_sentence
from foxreach_cli.stage_data import Chunk

__all__ = [
    "Source",
    "estimate_data_rows",
    "expand_inputs",
    "open_source",
    "open_sources",
    "read_rows",
]

#: The ``sheet`` that reads every sheet holding leads, each as its own input.
ALL_SHEETS = "all"


#: Suffixes picked up from a directory argument.
DIRECTORY_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".ods")


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


def expand_inputs(paths: Sequence[str], refused: dict[str, str] | None = None) -> list[str]:
    """Turn file arguments into the list of files to read, in order.

    Files are kept as given and ``-`` (stdin) is kept as is. A directory becomes its
    ``*.csv *.tsv *.txt *.xlsx *.xlsm *.xls *.ods`` files (case-insensitive, not recursive,
    hidden files and Excel's ``~$`` lock files left out) in name order.

    An entry of a directory with such a name that is not a regular file (a dangling
    symlink, a symlink loop, a named pipe, a folder) is not read; when ``refused`` is given
    it gets the entry's path and the reason, so the run can say so.

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
            found = []
            for entry in sorted(path.iterdir(), key=lambda e: e.name):
                if entry.suffix.lower() not in DIRECTORY_SUFFIXES or entry.name.startswith(
                    (".", "~$")
                ):
                    continue
                reason = _not_a_file(entry)
                if reason is None:
                    found.append(entry.name)
                elif refused is not None:
                    refused[str(entry)] = reason
            if not found and not (refused and any(Path(r).parent == path for r in refused)):
                raise InputError(
                    f"{given} holds no .csv, .tsv, .txt, .xlsx, .xls or .ods files; "
                    "put the lead files there or name the files directly."
                )
            files.extend(str(path / name) for name in found)
        elif path.exists():
            files.append(given)
        else:
            raise InputError(f"No such file: {given}")
    return files


def _not_a_file(entry: Path) -> str | None:
    """Why a folder entry cannot be read as a lead file, or None for a regular file."""
    try:
        mode = entry.stat().st_mode
    except FileNotFoundError:
        return f"{entry} is a symbolic link to {os.readlink(entry)}, which does not exist."
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return f"{entry} is a symbolic link that points back to itself."
        return f"{entry} cannot be read: {exc.strerror or exc}."
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return f"{entry} is a folder, not a file (folders inside a folder are not read)."
    kind = "a named pipe" if stat.S_ISFIFO(mode) else "a socket or device"
    return f"{entry} is {kind}, not a regular file."


def open_source(
    path: str,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    chunk_rows: int = DRY_RUN_CHUNK_ROWS,
    stdin: BinaryIO | None = None,
    header_row: int | None = None,
) -> Source:
    """Open one input file (``-`` for stdin) and find out its format, encoding and header.

    The format is decided by content (the ZIP's members, the OLE signature, text), not by
    name; when the name says otherwise, ``info.notes`` says so. ``encoding`` (a codec name,
    as :func:`import_config.parse_encoding` gives) and ``delimiter`` (one character) apply to CSV,
    ``sheet`` (a name, or a 1-based number) to workbooks; other combinations are ignored.
    ``header_row`` is the spreadsheet row number of the column names; without it the header
    is found among the first rows (``readers.header``), past any preamble such as LinkedIn's
    notes.

    Raises:
        UsageError: ``chunk_rows`` < 1.
        EmptyFileError: a 0-byte file or empty stdin.
        InputError: anything else that makes the file unreadable, as one sentence.
    """
    if chunk_rows < 1:
        raise UsageError(f"chunk_rows must be at least 1, not {chunk_rows}.")
    codec = encoding
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
        kind = _kind(head, name, Path(path), real)
        source: Source
        if kind != "csv":
            source = XlsxSource(
                path,
                real,
                sheet=sheet,
                chunk_rows=chunk_rows,
                temp=temp,
                kind=kind,
                header_row=header_row,
            )
        else:
            source = CsvSource(
                path,
                real,
                size=size,
                head=head,
                codec=codec,
                delimiter=delimiter,
                chunk_rows=chunk_rows,
                temp=temp,
                header_row=header_row,
            )
        named = _SUFFIX_KINDS.get(Path(path).suffix.lower())
        if named is not None and named != kind:
            source.info.notes.insert(
                0,
                f"{name} is named {Path(path).suffix} but holds {_KIND_WORDS[kind]}; "
                "it is read by its content.",
            )
        return source
    except BaseException:
        if temp:
            with contextlib.suppress(OSError):
                real.unlink()
        raise


def open_sources(
    path: str,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    chunk_rows: int = DRY_RUN_CHUNK_ROWS,
    stdin: BinaryIO | None = None,
    header_row: int | None = None,
) -> list[Source]:
    """The inputs of one file: :func:`open_source`'s one source, or with ``sheet="all"``
    one per sheet of a workbook that holds leads (email addresses among its first rows;
    every sheet with cells when none does), in sheet order. Each is named
    ``book.xlsx [Sheet]`` (``SourceInfo.file``, so its rows are labelled by sheet; the file
    as given is ``SourceInfo.origin``) and has its own header and mapping. A CSV is one
    source whatever ``sheet`` says. Close every source returned (the first owns the
    temporary copy of stdin: close it last).

    Raises:
        InputError: as :func:`open_source`.
    """
    every = sheet is not None and sheet.strip().casefold() == ALL_SHEETS
    first = open_source(
        path,
        encoding=encoding,
        delimiter=delimiter,
        sheet=None if every else sheet,
        chunk_rows=chunk_rows,
        stdin=stdin,
        header_row=header_row,
    )
    if not every or not isinstance(first, XlsxSource):
        return [first]
    sources: list[Source] = [first]
    try:
        if first.others_note is not None:
            first.info.notes.remove(first.others_note)  # they are read: nothing to say
        names = first.lead_sheet_names or [first.info.sheet or ""]
        for name in names:
            if name == first.info.sheet:
                continue
            sources.append(
                XlsxSource(
                    path,
                    first.path,
                    sheet=name,
                    chunk_rows=chunk_rows,
                    temp=False,
                    kind=first.info.format,
                    header_row=header_row,
                )
            )
    except BaseException:
        for source in reversed(sources):
            source.close()
        raise
    for source in sources:
        source.info = replace(
            source.info, file=sheet_label(path, source.info.sheet or ""), origin=path
        )
    return sources


def estimate_data_rows(sources: Sequence[Source]) -> int | None:
    """A quick estimate of the data rows (newlines in text files) for the progress bar; None
    when a workbook is among them."""
    total = 0
    for source in sources:
        if source.info.format != "csv":
            return None
        lines = 0
        with open(source.path, "rb") as fh:
            while block := fh.read(BLOCK_BYTES):
                lines += block.count(b"\n")
        total += max(lines - source.info.header_row + 1, 0)
    return total


class Limited:
    """The chunks of several sources in turn, cut after ``limit`` data rows (``--limit``;
    None reads everything). ``truncated`` tells, once iterated, whether rows were left."""

    def __init__(self, sources: Sequence[Source], limit: int | None) -> None:
        self._sources = sources
        self._left = limit
        self.truncated = False

    def __iter__(self) -> Iterator[tuple[int, Chunk]]:
        """(index of the source, chunk), in order."""
        for n, source in enumerate(self._sources):
            for chunk in source.chunks():
                left = self._left
                if left is not None:
                    if left <= 0:
                        self.truncated = True
                        return
                    if len(chunk.frame) > left:
                        self.truncated = True
                        chunk = Chunk(chunk.file, chunk.frame.iloc[:left], chunk.rows[:left])
                    self._left = left - len(chunk.frame)
                yield n, chunk


def read_rows(source: Source, rows: Iterable[int]) -> Iterator[tuple[int, list[str]]]:
    """Re-read the original cells of the given spreadsheet rows, in row order.

    ``rows`` is a set, or an iterable in ascending order (repeats allowed), taken lazily:
    one row number ahead of the file, so a caller can stream them from the detail store.
    Yields ``(row, cells)`` with ``cells`` aligned to ``source.info.headers``: padded with
    "" when the row is short, and keeping any surplus cells at the end so nothing of the
    row is lost. Rows that are blank, or beyond the end, are not yielded. Memory stays flat:
    the file is streamed, stopping after the highest row asked for.
    """
    wanted = iter(sorted(rows)) if isinstance(rows, (set, frozenset)) else iter(rows)
    want = next(wanted, None)
    if want is None:
        return
    width = len(source.info.headers)
    for row, cells in source._records():
        while want is not None and want < row:
            want = next(wanted, None)
        if want is None:
            break
        if row == want and any(cells):
            yield row, cells + [""] * (width - len(cells))


def _spool(stream: BinaryIO, name: str) -> Path:
    """Copy a stream to a temp file so it can be sniffed, re-read and hashed."""
    source = getattr(stream, "buffer", stream)  # a text stream's bytes
    try:
        fd, temp = tempfile.mkstemp(prefix="foxreach-stdin-")
    except OSError as exc:
        where = f"The temporary copy of {name} in {tempfile.gettempdir()} (TMPDIR)"
        raise storage_error(exc, where) from exc
    try:
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(source, out, BLOCK_BYTES)
    except OSError as exc:
        os.unlink(temp)
        if is_disk_full(exc):  # the copy, not the stream: name where it was going
            where = f"The temporary copy of {name} in {Path(temp).parent} (TMPDIR)"
            raise storage_error(exc, where) from exc
        raise InputError(f"Cannot read {name}: {exc.strerror or exc}.") from exc
    return Path(temp)


def _kind(head: bytes, name: str, path: Path, real: Path) -> str:
    """'xlsx', 'ods', 'xls' or 'csv' by content (zip members, the OLE signature, text), the
    name deciding only a ZIP that holds neither workbook; others are refused."""
    suffix = path.suffix.lower()
    if head.startswith(_ZIP_MAGIC):
        found = _zip_kind(real)
        if found is not None:
            return found
        return "ods" if suffix == ".ods" else "xlsx"  # its reader says what is missing
    if head.startswith(_OLE_MAGIC):
        # An OLE container is an .xls workbook, or an .xlsx saved with a password.
        if _ole_encrypted(real):
            raise InputError(password_sentence(name))
        return "xls"
    if suffix in _SHEET_SUFFIXES:
        what = _markup(head)
        if what is not None:
            raise InputError(
                f"{name} is {what} saved with a {suffix} name, not a real workbook; open it "
                "in Excel and save it as .xlsx (or export CSV), then run again."
            )
    what = next((label for magic, label in _BINARY_MAGIC.items() if head.startswith(magic)), None)
    if what is None and _looks_binary(head):
        what = "binary"
    if what is None:
        return "csv"
    if suffix in _SHEET_SUFFIXES:
        raise InputError(
            f"{name} is not a valid XLSX workbook (it looks like {what} data); "
            "export the sheet again as .xlsx or CSV."
            if what == "binary"
            else f"{name} is not a valid XLSX workbook (it looks like {what}); "
            "export the sheet again as .xlsx or CSV."
        )
    raise InputError(f"{name} is not a CSV or XLSX file (it looks binary).")


def _zip_kind(path: Path) -> str | None:
    """'xlsx' for a ZIP holding xl/workbook.xml, 'ods' for one whose mimetype says an
    OpenDocument spreadsheet; None for another ZIP or one that cannot be opened."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = {n.casefold() for n in archive.namelist()}
            if "xl/workbook.xml" in names:
                return "xlsx"
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size <= 200:
                    mimetype = archive.read(info).strip()
                    if mimetype == _ODS_MIMETYPE:
                        return "ods"
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, zlib.error, EOFError):
        return None
    return None


def _ole_encrypted(path: Path) -> bool:
    """Does the OLE file hold the streams of a password-protected OOXML workbook?

    Their names are stored in UTF-16 in the file's directory; looking for both names in the
    bytes is simpler than walking the directory chain and as sure for a spreadsheet."""
    wanted = ["EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le")]
    tail = b""
    try:
        with path.open("rb") as fh:
            while wanted and (block := fh.read(BLOCK_BYTES)):
                data = tail + block
                wanted = [w for w in wanted if w not in data]
                tail = data[-64:]
    except OSError:
        return False
    return not wanted


_SUFFIX_KINDS = {
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xls",
    ".ods": "ods",
    ".csv": "csv",
    ".tsv": "csv",
}
_KIND_WORDS = {
    "xlsx": "an XLSX workbook",
    "xls": "an Excel .xls workbook",
    "ods": "an ODS spreadsheet",
    "csv": "delimited text (CSV)",
}


_SHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


def _markup(head: bytes) -> str | None:
    """'a web page (HTML)' or 'an Excel 2003 XML spreadsheet' for text some tools save as
    .xls (report exports do); None for anything else."""
    start = head[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html", b"<table", b"<head", b"<meta")):
        return "a web page (HTML)"
    if start.startswith(b"<?xml"):
        if b"urn:schemas-microsoft-com:office:spreadsheet" in head[:4096]:
            return "an Excel 2003 XML spreadsheet"
        if b"<html" in start:
            return "a web page (HTML)"
    return None


def _looks_binary(head: bytes) -> bool:
    sample = head[:8192]
    if bom_of(sample)[0] is not None or utf16_without_bom(sample) is not None:
        return False
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls > max(8, len(sample) // 100)
