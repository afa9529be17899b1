"""Files of rejected rows (``--rejected``) read back after a person fixed them.

A rejected-rows CSV (``outputs.write_rejected_csv``) holds each row's original cells, then a
``row`` and a ``reason`` column (a leading ``file`` column when several files were read, and
``(cells beyond the header)`` before ``row`` when a row was too long). Cells a spreadsheet
would run as formulas got a ``'`` in front, and a cell that began with ``'`` got a second
one, so each cell comes back exactly. The run that wrote it also saved its mapping beside it
(``<file>.mapping.toml``, the format of ``map --write``): the rows were judged with that
mapping, and content rules looking at the rejected rows alone (a sample of only the rows they
misjudged) could decide differently.

A file whose header ends in ``row, reason`` is read here as such a file: with that mapping
(or ``--mapping``), without its own columns, and with the ``'`` of each neutralised cell
removed. Any other file is read as it is.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path

from .errors import InputError
from .mapping import Mapping, MappingFile
from .mapping_file import load_mapping_file, write_mapping_file
from .outputs import EXTRA_CELLS_HEADER, FORMULA_PREFIXES, mapping_path
from .readers.base import Source
from .stage_data import ROW_ERROR_COLUMN, Chunk, SourceInfo

#: The columns a rejected-rows file adds around the original cells.
TRAILING_COLUMNS = ("row", "reason")
FILE_COLUMN = "file"

_RESTORED_PREFIXES = tuple("'" + p for p in (*FORMULA_PREFIXES, "'"))


def restore_cell(value: str) -> str:
    """Undo ``outputs.neutralise_formula``: ``'=1+1`` -> ``=1+1``, ``''x`` -> ``'x``."""
    return value[1:] if value.startswith(_RESTORED_PREFIXES) else value


def write_rejected_mapping(
    rejected_path: str | Path, files: list[tuple[SourceInfo, Mapping]]
) -> str | None:
    """Save the mapping the rejected rows were judged with beside the rejected-rows file.

    ``files`` are the (info, mapping) of the input files that have rows in it. Returns the
    path written, or None when those files differ in headers or mapping (one file of
    rejected rows cannot then be read with one mapping; importing it asks for --mapping).
    """
    if not files:
        return None
    info, mapping = files[0]
    if any(i.headers != info.headers or m != mapping for i, m in files[1:]):
        return None
    path = mapping_path(rejected_path)
    write_mapping_file(path, mapping, info)
    return path


def is_rejected_file(info: SourceInfo) -> bool:
    """Does this file's header end in ``row, reason``, as a rejected-rows file's does?"""
    headers = [h for h, c in zip(info.headers, info.columns, strict=True) if c != ROW_ERROR_COLUMN]
    return tuple(h.strip() for h in headers[-2:]) == TRAILING_COLUMNS


def adopt_rejected_file(
    source: Source, mapping_file: MappingFile | None
) -> tuple[Source, MappingFile | None]:
    """``source`` as it should be read, and the mapping file to read it with.

    A rejected-rows file is read through :class:`RestoredSource` with the mapping given
    (``--mapping``), else the one saved beside it; with neither it is refused, since its rows
    would be judged by other rules than the first time. Any other file is returned as is.
    """
    info = source.info
    if not is_rejected_file(info):
        return source, mapping_file
    if mapping_file is None:
        saved = mapping_path(info.file)
        if not Path(saved).is_file():
            raise InputError(
                f"{info.file} is a file of rejected rows (its last columns are row and "
                f"reason), but the mapping saved with it ({saved}) is not there; pass it "
                "with --mapping, or rename the row and reason columns if this is not such a "
                "file."
            )
        mapping_file = load_mapping_file(saved)
    return RestoredSource(source, mapping_file), mapping_file


class RestoredSource(Source):
    """A rejected-rows file read as the rows it holds: without its own columns (``file``,
    ``row``, ``reason``, cells beyond the header) and with each neutralised cell restored."""

    def __init__(self, inner: Source, mapping_file: MappingFile) -> None:
        info = inner.info
        recorded = set(mapping_file.headers or ())
        own = set(range(len(info.headers) - 2, len(info.headers)))
        before = len(info.headers) - 3
        if before >= 0 and info.headers[before].strip() == EXTRA_CELLS_HEADER:
            own.add(before)
        if info.headers and info.headers[0].strip() == FILE_COLUMN and FILE_COLUMN not in recorded:
            own.add(0)
        self._keep = [i for i in range(len(info.headers)) if i not in own]
        self._dropped = [info.columns[i] for i in sorted(own)]
        kept_columns = [info.columns[i] for i in self._keep]
        restored = SourceInfo(
            file=info.file,
            format=info.format,
            headers=[restore_cell(info.headers[i]) for i in self._keep],
            columns=kept_columns,
            encoding=info.encoding,
            delimiter=info.delimiter,
            sheet=info.sheet,
            header_row=info.header_row,
            samples={
                k: tuple(restore_cell(v) for v in info.samples[k])
                for k in kept_columns
                if k in info.samples
            },
        )
        super().__init__(restored, inner.path, chunk_rows=1, temp=False)
        self._inner = inner

    def chunks(self) -> Iterator[Chunk]:
        """The inner file's chunks without the own columns, neutralised cells restored."""
        for chunk in self._inner.chunks():
            frame = chunk.frame.drop(columns=self._dropped)
            for key in self.info.columns:
                column = frame[key]
                if column.dtype != object:  # no text cell at all
                    continue
                quoted = column.str.startswith("'", na=False)
                if quoted.any():
                    frame[key] = column.where(~quoted, column[quoted].map(restore_cell))
            yield Chunk(chunk.file, frame, chunk.rows)

    def count_chunks(self) -> Generator[Chunk, None, None]:
        """The inner file's chunks: dropping columns changes no row."""
        yield from self._inner.count_chunks()

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        width = len(self._inner.info.headers)
        for row, cells in self._inner._records():
            kept = [cells[i] if i < len(cells) else "" for i in self._keep]
            yield row, [restore_cell(v) for v in kept + cells[width:]]

    def close(self) -> None:
        """Close the file read."""
        self._inner.close()
