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
from foxreach_cli.models import Chunk, SourceInfo
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
    ) -> None:
        name = display_name(file)
        self._size = size
        self._codec, self._skip, label, self._has_nul, quotes = decide_encoding(
            path, name, head, codec
        )
        self._odd_quotes = quotes % 2 == 1
        text, _ = self._head_text(path, name)
        blank, rest = _skip_blank_lines(text)
        if rest == "":
            raise InputError(
                f"{name} has no header row (it holds only blank lines); "
                "put the column names on the first line and run again."
            )
        if delimiter is None:
            suffix = Path(file).suffix.lower()
            delimiter = "\t" if suffix == ".tsv" else _sniff_delimiter(rest)
        self._delimiter = delimiter
        header, used = _first_record(rest, delimiter)
        consumed = len(text) - len(rest) + used
        self._data_offset = self._skip + len(text[:consumed].encode(self._codec))
        if len(header) > MAX_COLUMNS:
            raise InputError(
                f"{name} has {len(header):,} columns in its header row, more than the "
                f"{MAX_COLUMNS:,} a spreadsheet can hold; check the delimiter (or pass "
                "--delimiter) and run again."
            )
        headers = [clean_header(cell) for cell in header]
        info = SourceInfo(
            file=file,
            format="csv",
            headers=headers,
            columns=unique_keys(headers),
            encoding=label,
            delimiter=delimiter,
            header_row=blank + 1,
        )
        super().__init__(info, path, chunk_rows, temp)
        # An odd number of quote characters may mean a quote that is never closed: find
        # out now, before any chunk is handed out, rather than at the end of an import.
        if self._odd_quotes:
            for _ in self.chunks():
                pass

    def _head_text(self, path: Path, name: str) -> tuple[str, bool]:
        """Decoded text from the start, cut after its last complete line unless at EOF."""
        size = SAMPLE_BYTES
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
        # Blank rows (every cell empty): cheap test on the first column, full test only
        # for the rows that pass it.
        candidates = np.flatnonzero((frame.iloc[:, 0] == "").to_numpy())
        if len(candidates):
            rest = frame.iloc[candidates, 1:]
            blank = candidates[(rest == "").all(axis=1).to_numpy()]
            if len(blank):
                keep = np.ones(len(frame), dtype=bool)
                keep[blank] = False
                frame = frame.iloc[keep]
                rows = rows[keep]
        if not len(frame):
            return None
        frame.index = pd.RangeIndex(len(frame))
        return Chunk(file=self.info.file, frame=frame, rows=rows)

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


def _skip_blank_lines(text: str) -> tuple[int, str]:
    """Count the lines before the header that hold nothing (or only delimiters)."""
    blank = 0
    start = 0
    for line in io.StringIO(text, newline=""):
        if line.replace("\0", "").strip(" \t\r\n\f\v,;|\ufeff"):
            break
        blank += 1
        start += len(line)
    return blank, text[start:]


def _sniff_delimiter(text: str) -> str:
    """The candidate delimiter that splits the header into most cells, consistently.

    Each candidate parses the first records (quotes respected); it must split the header
    into 2+ cells. The winner has the largest share of records with the header's cell
    count, then the most cells; ties go to the earlier of , ; tab |. A single-column file
    (just emails) gets ','. Faster and more predictable than csv.Sniffer on 64 KB.
    """
    best = ","
    best_score = (0.0, 0)
    for candidate in DELIMITERS:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=candidate, strict=False)
        try:
            records = [cells for cells in _take(reader, 50) if any(cells)]
        except csv.Error:
            continue
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


def _first_record(text: str, delimiter: str) -> tuple[list[str], int]:
    """Parse the header record; return it and how many characters of ``text`` it used."""
    used = 0

    def lines() -> Iterator[str]:
        nonlocal used
        for line in io.StringIO(text, newline=""):
            used += len(line)
            yield line

    # The reader pulls lines only until the record is complete, so ``used`` ends exactly
    # after the header, even when a quoted header cell spans lines.
    reader = csv.reader(lines(), delimiter=delimiter, quotechar='"', strict=False)
    return next(reader, []), used
