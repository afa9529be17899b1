"""Delimited text (CSV, TSV, TXT): layout detection, the pandas fast path, the csv fallback."""

from __future__ import annotations

import codecs
import csv
import io
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from foxreach_cli.errors import InputError
from foxreach_cli.mapping import names_email
from foxreach_cli.readers.base import (
    SAMPLE_BYTES,
    Source,
    clean_header,
    display_name,
    open_binary,
    unique_keys,
)
from foxreach_cli.readers.encoding import (
    decide_encoding,
    decode_error,
)
from foxreach_cli.readers.header import (
    BLANK_CHARS,
    SAMPLE_ROWS,
    SCAN_ROWS,
    choose_header,
    find_header,
    is_blank_cell,
    is_blank_row,
    is_header_repeat,
    repeat_reason,
    sample_values,
)
from foxreach_cli.stage_data import ROW_ERROR_COLUMN, Chunk, SourceInfo

#: Delimiters considered when none is given, in order of preference on a tie.
DELIMITERS = (",", ";", "\t", "|")


_MAX_HEADER_BYTES = 16 << 20  # a header line longer than this is not a lead list


#: Excel's column limit (A..XFD). A wider file did not come from a spreadsheet; refusing it
#: keeps the per-column work of pandas (about 0.1 ms a column a chunk) from running minutes.
MAX_COLUMNS = 16_384


class CsvSource(Source):
    """Delimited text: CSV, TSV, TXT."""

    def __init__(
        self,
        file: str,
        path: Path,
        *,
        size: int,
        head: bytes,
        codec: str | None,
        delimiter: str | None,
        chunk_rows: int,
        temp: bool,
        header_row: int | None = None,
    ) -> None:
        name = display_name(file)
        self._size = size
        self._codec, self._skip, label, self._has_nul, quotes = decide_encoding(
            path, name, head, codec
        )
        self._odd_quotes = quotes % 2 == 1
        size = SAMPLE_BYTES
        while True:
            text, at_eof = self._head_text(path, name, size)
            if not text.strip(BLANK_CHARS):
                raise InputError(
                    f"{name} has no header row (it holds only blank lines); "
                    "put the column names on the first line and run again."
                )
            if delimiter is None:
                suffix = Path(file).suffix.lower()
                delimiter = "\t" if suffix == ".tsv" else _sniff_delimiter(text)
            limit = SCAN_ROWS + SAMPLE_ROWS + (header_row or 0)
            records = _head_records(text, delimiter, at_eof, limit)
            # A --header-row further down than the first 64 KB: read more of the head.
            if header_row is None or at_eof or records[-1][0] > header_row + 1:
                break
            if size >= _MAX_HEADER_BYTES:
                break
            size *= 4
        self._delimiter = delimiter
        index, choice = choose_header(
            [(row, cells) for row, cells, _end in records],
            name,
            email_header=names_email,
            override=header_row,
        )
        header_at, header, consumed = records[index]
        self._data_offset = self._skip + len(text[:consumed].encode(self._codec))
        if len(header) > MAX_COLUMNS:
            raise InputError(
                f"{name} has {len(header):,} columns in its header row, more than the "
                f"{MAX_COLUMNS:,} a spreadsheet can hold; check the delimiter (or pass "
                "--delimiter) and run again."
            )
        headers = [clean_header(cell) for cell in header]
        columns = unique_keys(headers)
        info = SourceInfo(
            file=file,
            format="csv",
            headers=headers,
            columns=columns,
            encoding=label,
            delimiter=delimiter,
            header_row=header_at,
            samples=sample_values(
                columns, [(row, cells) for row, cells, _e in records[index + 1 :][:SAMPLE_ROWS]]
            ),
            header_choice=choice,
        )
        super().__init__(info, path, chunk_rows, temp)
        # An odd number of quote characters may mean a quote that is never closed: find
        # out now, before any chunk is handed out, rather than at the end of an import.
        if self._odd_quotes:
            for _ in self.chunks():
                pass

    def _head_text(self, path: Path, name: str, size: int) -> tuple[str, bool]:
        """Decoded text from the start (``size`` bytes or more), cut after its last complete
        line unless at EOF."""
        while True:
            with open_binary(path, name) as handle:
                handle.seek(self._skip)
                raw = handle.read(size)
                at_eof = handle.read(1) == b""
            text = codecs.getincrementaldecoder(self._codec)().decode(raw, final=at_eof)
            if at_eof:
                return text, True
            cut = text.rfind("\n")
            if cut < 0:  # a lone CR at the very end may be half of a CRLF: not a cut
                cut = text.rfind("\r", 0, len(text) - 1)
            if cut >= 0:
                return text[: cut + 1], False
            if size >= _MAX_HEADER_BYTES:
                raise InputError(
                    f"{name} has no line break in its first {size >> 20} MB, so it is not "
                    "a CSV file; check the file and run again."
                )
            size *= 4

    def chunks(self) -> Iterator[Chunk]:
        if self._data_offset >= self._size:
            return  # header only
        next_row = self.info.header_row + 1
        failure: Exception | None = None
        with open_binary(self.path, display_name(self.info.file)) as handle:
            handle.seek(self._data_offset)
            reader = None
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("error", pd.errors.ParserWarning)
                    reader = pd.read_csv(
                        handle,
                        sep=self._delimiter,
                        header=None,
                        names=self.info.columns,
                        index_col=False,
                        dtype=object,
                        na_filter=False,
                        skip_blank_lines=False,
                        quotechar='"',
                        doublequote=True,
                        engine="c",
                        encoding=self._codec,
                        encoding_errors="strict",
                        chunksize=self._chunk_rows,
                    )
            except pd.errors.EmptyDataError:
                return
            except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
                # pandas tokenizes the first row on opening: a quote left open there stops
                # it before any chunk. Take the slow path from the first data row.
                failure = exc
            except UnicodeDecodeError as exc:  # verified up front; belt and braces
                raise decode_error(display_name(self.info.file), self._codec, exc) from exc
            if reader is not None:
                with reader:
                    while True:
                        try:
                            with warnings.catch_warnings():
                                # "names does not match length of data" means surplus cells
                                # pandas would drop: make it an error and take the slow path.
                                warnings.simplefilter("error", pd.errors.ParserWarning)
                                frame = next(reader)
                        except StopIteration:
                            return
                        except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
                            failure = exc
                            break
                        except pd.errors.EmptyDataError:
                            return
                        except UnicodeDecodeError as exc:  # verified up front; belt and braces
                            name = display_name(self.info.file)
                            raise decode_error(name, self._codec, exc) from exc
                        rows = np.arange(next_row, next_row + len(frame), dtype=np.int64)
                        next_row += len(frame)
                        chunk = self._fast_chunk(frame, rows)
                        if chunk is not None:
                            yield chunk
        # pandas stopped at a row it cannot take as written (it never yields part of a
        # chunk): read the rest with the csv module, from the first row not yet yielded.
        unclosed = "EOF inside string" in str(failure)
        records = ((row, cells) for row, cells in self._records() if row >= next_row)
        yield from self._chunks_from_records(records, unclosed_quote=unclosed)

    def _fast_chunk(self, frame: pd.DataFrame, rows: np.ndarray) -> Chunk | None:
        if self._has_nul:
            for column in frame.columns:
                frame[column] = frame[column].str.replace("\0", "", regex=False)
        blank = _blank_rows(frame)
        if len(blank):
            keep = np.ones(len(frame), dtype=bool)
            keep[blank] = False
            frame = frame.iloc[keep]
            rows = rows[keep]
        if not len(frame):
            return None
        frame.index = pd.RangeIndex(len(frame))
        repeats = self._header_repeats(frame)
        if len(repeats):
            reasons = np.full(len(frame), "", dtype=object)
            reasons[repeats] = repeat_reason(self.info.header_row)
            # A Series keeps object dtype; an ndarray would become pandas 3 "str".
            frame[ROW_ERROR_COLUMN] = pd.Series(reasons, index=frame.index, dtype=object)
        return Chunk(file=self.info.file, frame=frame, rows=rows)

    def _header_repeats(self, frame: pd.DataFrame) -> np.ndarray:
        """Positions of rows that repeat the column names (a second header of files joined
        with ``cat``): one vectorised comparison of the first named column, then the rest."""
        headers = self.info.headers
        first = next((p for p, h in enumerate(headers) if h), None)
        if first is None:
            return np.empty(0, dtype=np.int64)
        candidates = np.flatnonzero(frame.iloc[:, first].to_numpy() == headers[first])
        if not len(candidates):
            return candidates
        values = frame.iloc[candidates].to_numpy()
        return candidates[[is_header_repeat(list(cells), headers) for cells in values]]

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        if csv.field_size_limit() < 1 << 30:  # pandas has no cell-size limit; match it
            csv.field_size_limit(1 << 30)
        with open_binary(self.path, display_name(self.info.file)) as handle:
            handle.seek(self._data_offset)
            text = io.TextIOWrapper(handle, encoding=self._codec, newline="")
            reader = csv.reader(text, delimiter=self._delimiter, quotechar='"', strict=False)
            row = self.info.header_row
            try:
                for cells in reader:
                    row += 1
                    if self._has_nul:
                        cells = [cell.replace("\0", "") for cell in cells]
                    yield row, cells
            except csv.Error as exc:
                raise InputError(
                    f"{display_name(self.info.file)} cannot be read as CSV at row {row + 1} "
                    f"({exc}); fix that row and run again."
                ) from exc
            except UnicodeDecodeError as exc:
                raise decode_error(display_name(self.info.file), self._codec, exc) from exc

    def _unclosed_quote_at_end(self, last: tuple[int, list[str]]) -> bool:
        # The csv module does not report a quote left open at EOF: it returns the rest of
        # the file as the last cell. An odd quote count plus a line break in that cell is
        # the signature.
        cells = last[1]
        return bool(cells) and self._odd_quotes and ("\n" in cells[-1] or "\r" in cells[-1])


def _blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """Positions of the rows a person sees as empty (``readers.header.is_blank_record``).

    A blank-looking cell is "" or starts below "!" (ASCII whitespace and ^Z do), so one
    C-level comparison of the first column finds the few rows in question (cheaper than
    the ``== ""`` it replaces); only those are tested exactly, column by column.
    """
    candidates = np.flatnonzero(frame.iloc[:, 0].to_numpy() < "!")
    for position in range(frame.shape[1]):
        if not len(candidates):
            break
        values = frame.iloc[candidates, position].to_numpy()
        blank = values == ""
        rest = np.flatnonzero(~blank)
        if len(rest):
            blank[rest] = np.fromiter(map(is_blank_cell, values[rest]), dtype=bool, count=len(rest))
        candidates = candidates[blank]
    return candidates


def _sniff_delimiter(text: str) -> str:
    """The candidate delimiter that splits the header into most cells, consistently.

    Each candidate parses the first records (quotes respected) and finds the header among
    them (``readers.header``: a preamble above it is not held against it); it must split
    the header into 2+ cells. The winner has the largest share of the 50 records from the
    header on with the header's cell count, then the most cells; ties go to the earlier of
    , ; tab |. A single-column file (just emails) gets ','. Faster and more predictable
    than csv.Sniffer on 64 KB.
    """
    best = ","
    best_score = (0.0, 0)
    for candidate in DELIMITERS:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=candidate, strict=False)
        try:
            parsed = list(enumerate(_take(reader, SCAN_ROWS + 50), start=1))
        except csv.Error:
            continue
        try:
            start = find_header(parsed, "", email_header=names_email)
        except InputError:
            start = 0
        records = [cells for _row, cells in parsed[start:] if not is_blank_row(cells)][:50]
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        share = sum(len(cells) == width for cells in records) / len(records)
        if (share, width) > best_score:
            best, best_score = candidate, (share, width)
    return best


def _take(reader: Iterator[list[str]], count: int) -> list[list[str]]:
    out = []
    for cells in reader:
        out.append(cells)
        if len(out) >= count:
            break
    return out


def _head_records(
    text: str, delimiter: str, at_eof: bool, limit: int
) -> list[tuple[int, list[str], int]]:
    """The first ``limit`` records of ``text``: (row number, cells, characters used so far).

    Enough records to find the header and take the sample under it. The last record of a
    head that is not the whole file may be cut short, so it is left out.
    """
    used = 0

    def lines() -> Iterator[str]:
        nonlocal used
        for line in io.StringIO(text, newline=""):
            used += len(line)
            yield line

    # The reader pulls lines only until a record is complete, so ``used`` ends exactly after
    # each record, even when a quoted cell spans lines.
    reader = csv.reader(lines(), delimiter=delimiter, quotechar='"', strict=False)
    records: list[tuple[int, list[str], int]] = []
    try:
        for row, cells in enumerate(reader, start=1):
            records.append((row, cells, used))
            if row >= limit and len(records) > 1:
                break
        else:
            if not at_eof and len(records) > 1:
                records.pop()
    except csv.Error:
        pass  # a NUL or similar in the head: chunks() reports it where it is
    return records
