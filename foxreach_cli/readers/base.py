"""What every reader shares: the Source base class, header keys and record handling."""

from __future__ import annotations

import contextlib
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from foxreach_cli.errors import InputError
from foxreach_cli.readers.header import (
    is_blank_record,
    is_header_repeat,
    repeat_reason,
)
from foxreach_cli.reasons import ReasonCode, encode_cell
from foxreach_cli.stage_data import ROW_ERROR_COLUMN, Chunk, SourceInfo

SAMPLE_BYTES = 64 * 1024  # what delimiter and header detection look at


BLOCK_BYTES = 1 << 20  # decode-verification block


class Source:
    """One opened input file. Use it as a context manager so temp files are removed.

    ``info`` describes what was found; ``path`` is a real file holding the bytes read (for
    stdin a temporary copy, removed by ``close``), usable for hashing the content.
    """

    info: SourceInfo
    path: Path

    def __init__(self, info: SourceInfo, path: Path, chunk_rows: int, temp: bool) -> None:
        self.info = info
        self.path = path
        self._chunk_rows = chunk_rows
        self._temp = temp

    def chunks(self) -> Iterator[Chunk]:
        """Yield the data rows as chunks of at most ``chunk_rows`` rows, from the start.

        Each frame has one column per ``info.columns`` key holding ``str`` cells ("" when
        empty), plus ``ROW_ERROR_COLUMN`` in a chunk where a row could not be read as
        written. Blank rows are left out; their numbers are skipped in ``Chunk.rows``.
        """
        raise NotImplementedError

    def count_chunks(self) -> Generator[Chunk, None, None]:
        """The chunks of :meth:`chunks`, read once more to count the rows (from another
        thread, while the run reads): nothing of ``info`` changes."""
        yield from self.chunks()

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        """Every row after the header as (row number, cells as text), blank rows included."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the file; remove the temporary copy of stdin."""
        if self._temp:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            self._temp = False

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Shared by both formats: records (row, cells) -> chunks, flagging surplus cells.
    def _chunks_from_records(
        self, records: Iterator[tuple[int, list[str]]], *, unclosed_quote: bool = False
    ) -> Iterator[Chunk]:
        columns = self.info.columns
        width = len(columns)
        repeat = _RepeatTest(self.info.headers, self.info.header_row)
        rows: list[int] = []
        cells: list[Sequence[str]] = []
        reasons: list[str] = []
        flagged = False
        last: tuple[int, list[str]] | None = None
        # One record of look-ahead: the last record is where an unclosed quote ends up.
        for record in records:
            if last is not None:
                flagged |= add_record(last, width, rows, cells, reasons, repeat)
                if len(rows) >= self._chunk_rows:
                    yield self._make_chunk(rows, cells, reasons if flagged else None)
                    rows, cells, reasons, flagged = [], [], [], False
            last = record
        if last is not None:
            if unclosed_quote or self._unclosed_quote_at_end(last):
                raise InputError(
                    f"{display_name(self.info.file)}: the quote that opens in row {last[0]} is "
                    "never closed, so the rest of the file cannot be split into rows; "
                    "close or remove that quote and run again."
                )
            flagged |= add_record(last, width, rows, cells, reasons, repeat)
        if rows:
            yield self._make_chunk(rows, cells, reasons if flagged else None)

    def _chunks_from_rows(self, records: Iterator[tuple[int, list[str]]]) -> Iterator[Chunk]:
        """The chunks of :meth:`_chunks_from_records` for a reader whose last record needs no
        look-ahead (a workbook's). Most rows are plainly data (no wider than the header, a
        first cell that is not blank-looking, a first named cell unlike the header's): those
        are added here inline, a few operations each; any other goes through
        :func:`add_record`, the one place the rules are written."""
        columns = self.info.columns
        width = len(columns)
        size = self._chunk_rows
        repeat = _RepeatTest(self.info.headers, self.info.header_row)
        position, text = repeat.first if repeat.first is not None else (width, "")
        pads = [("",) * n for n in range(width + 1)]
        rows: list[int] = []
        cells: list[Sequence[str]] = []
        reasons: list[str] = []
        flagged = False
        for record in records:
            values = record[1]
            n = len(values)
            if (
                n <= width
                and values
                and values[0] >= "!"
                and (n <= position or values[position].strip().casefold() != text)
            ):
                rows.append(record[0])
                # A tuple: the collector stops walking it once it has seen it hold only
                # strings, where a list would be walked at every collection until the chunk
                # is made (0.1 s over 200k rows).
                cells.append(tuple(values) + pads[width - n] if n < width else tuple(values))
                reasons.append("")
            else:
                flagged |= add_record(record, width, rows, cells, reasons, repeat)
            if len(rows) >= size:
                yield self._make_chunk(rows, cells, reasons if flagged else None)
                rows, cells, reasons, flagged = [], [], [], False
        if rows:
            yield self._make_chunk(rows, cells, reasons if flagged else None)

    def _unclosed_quote_at_end(self, last: tuple[int, list[str]]) -> bool:
        return False

    def _make_chunk(
        self, rows: list[int], cells: Sequence[Sequence[str]], reasons: list[str] | None
    ) -> Chunk:
        frame = pd.DataFrame(cells, columns=self.info.columns, dtype=object)
        if reasons is not None:
            # A Series keeps object dtype; a list or ndarray would become pandas 3 "str".
            frame[ROW_ERROR_COLUMN] = pd.Series(reasons, index=frame.index, dtype=object)
        return Chunk(file=self.info.file, frame=frame, rows=np.asarray(rows, dtype=np.int64))


def clean_header(cell: str) -> str:
    return cell.replace("\0", "").strip().strip("\ufeff").strip()


def unique_keys(headers: list[str]) -> list[str]:
    """Frame column keys: the header text, 'column N' for an empty one, ' (2)' on repeats."""
    keys: list[str] = []
    seen: set[str] = {ROW_ERROR_COLUMN}
    for position, header in enumerate(headers, start=1):
        base = header or f"column {position}"
        key, n = base, 2
        while key in seen:
            key, n = f"{base} ({n})", n + 1
        seen.add(key)
        keys.append(key)
    return keys


def add_record(
    record: tuple[int, list[str]],
    width: int,
    rows: list[int],
    cells: list[Sequence[str]],
    reasons: list[str],
    repeat: _RepeatTest | None = None,
) -> bool:
    """Append one record to a chunk being built; return True when it was flagged."""
    row, values = record
    if (not values or values[0] < "!") and is_blank_record(values):
        return False  # a blank row keeps its number but is no data row
    reason = ""
    if repeat is not None and repeat(values):
        reason = repeat.reason
    elif len(values) > width and any(value.strip() for value in values[width:]):
        reason = encode_cell(ReasonCode.LONG_ROW.of(len(values), width))
    if len(values) > width:
        values = values[:width]
    elif len(values) < width:
        values = values + [""] * (width - len(values))
    rows.append(row)
    cells.append(values)
    reasons.append(reason)
    return bool(reason)


class _RepeatTest:
    """Does a data row repeat the header's column names? A cheap test of one cell first."""

    def __init__(self, headers: list[str], header_row: int) -> None:
        self._headers = headers
        self.reason = repeat_reason(header_row)
        named = [(p, h.strip().casefold()) for p, h in enumerate(headers) if h.strip()]
        #: The first named column: (position, its header trimmed and casefolded).
        self.first = named[0] if named else None

    def __call__(self, values: list[str]) -> bool:
        if self.first is None:
            return False
        position, text = self.first
        if position >= len(values) or values[position].strip().casefold() != text:
            return False
        return is_header_repeat(values, self._headers)


def display_name(file: str) -> str:
    return "stdin" if file == "-" else file


def open_binary(path: Path, name: str) -> BinaryIO:
    try:
        return path.open("rb")
    except OSError as exc:
        raise InputError(f"Cannot read {name}: {exc.strerror or exc}.") from exc
