"""Everything a run writes besides the state directory: the JSON report, the rejected-rows
CSV (formulas neutralised), the log file, and finished files moved by ``--move-done``.

:func:`check_outputs` tries every one of those paths before anything is read or sent, so
a run never imports and then fails to say what it did. Each writer goes through the storage
boundary (:func:`errors.storage_errors`): a failure is one sentence naming the path.
"""

from __future__ import annotations

import contextlib
import csv
import os
import shutil
import tempfile
from collections import Counter, deque
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import contextmanager
from itertools import groupby
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .details import DetailRecord
from .errors import StorageError, storage_errors
from .reasons import ReasonCode
from .report import ImportReport
from .state import ensure_private_dir

if TYPE_CHECKING:
    from .import_config import ImportConfig

EXTRA_CELLS_HEADER = "(cells beyond the header)"
#: Cells starting with these are formulas to a spreadsheet (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def open_private(path: str | Path) -> TextIO:
    """Open ``path`` for writing text, created readable by its owner only: reports and
    rejected rows hold people's personal data."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return open(fd, "w", encoding="utf-8", newline="")


def neutralise_formula(value: str) -> str:
    """Prefix a cell a spreadsheet would execute as a formula with an apostrophe.

    A cell that already begins with an apostrophe gets one more, so that reading the file
    back (``rejected_file.restore_cell``) removes exactly one and gives every cell back.
    """
    return "'" + value if value.startswith(_NEUTRALISED) else value


_NEUTRALISED = (*FORMULA_PREFIXES, "'")


#: What the mapping saved beside a rejected-rows file is called after it
#: (:mod:`foxreach_cli.rejected_file`).
MAPPING_SUFFIX = ".mapping.toml"


def mapping_path(rejected_path: str | Path) -> str:
    """Where the mapping of a rejected-rows file is saved: beside it, ``<file>.mapping.toml``."""
    return f"{rejected_path}{MAPPING_SUFFIX}"


# -- before the run ----------------------------------------------------------------------------


def check_outputs(cfg: ImportConfig) -> None:
    """Prove every path the run will write can be written, before anything is read or sent."""
    out, state = cfg.outputs, cfg.state
    for path, option in ((out.report_path, "report_path"), (out.rejected_path, "rejected_path")):
        if path is not None:
            check_file_writable(path, option=option)
    if out.rejected_path is not None:  # the mapping saved beside the rejected rows
        check_file_writable(mapping_path(out.rejected_path), option="rejected_path")
    if state.move_done is not None:
        check_dir_writable(state.move_done, option="move_done")
    if cfg.live:
        check_dir_writable(state.state_dir, option="state_dir", private=True)


def check_file_writable(path: str | Path, *, option: str) -> None:
    """Prove ``path`` can be written (its folder exists and takes files), changing nothing."""
    target = Path(path)
    with storage_errors(path, option=option):
        if target.is_dir():
            raise IsADirectoryError(21, "Is a directory", str(path))
        if target.exists():
            with open(target, "ab"):
                pass
            return
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        os.unlink(target)


def check_dir_writable(path: str | Path, *, option: str, private: bool = False) -> None:
    """Create the folder ``path`` if needed (owner-only when ``private``) and prove it takes
    files."""
    folder = Path(path)
    with storage_errors(path, option=option):
        if private:
            ensure_private_dir(folder)
        else:
            folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".foxreach-probe-")
        os.close(fd)
        os.unlink(probe)


# -- the JSON report and the log -----------------------------------------------------------------


def write_report(path: str | Path, report: ImportReport) -> None:
    """Write the JSON report to ``path`` (owner-only: it holds lead emails)."""
    with storage_errors(path, option="report_path"), open_private(path) as fh:
        for piece in report.iter_json():
            fh.write(piece)
        fh.write("\n")


class LogFile:
    """The ``--log-file``, appended to (created owner-only); a failed write names the file.

    The first failed write raises :class:`StorageError` (the run stops sending); the file
    is then left alone: later writes do nothing, so the rest of the run is not a stream of
    the same error.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = path
        self.failed: StorageError | None = None
        with storage_errors(path, option="log_file"):
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            self._fh = open(fd, "a", encoding="utf-8")  # noqa: SIM115 - closed by close()

    @contextmanager
    def _writing(self) -> Iterator[None]:
        try:
            with storage_errors(self.path, option="log_file"):
                yield
        except StorageError as exc:
            self.failed = exc
            raise

    def write(self, text: str) -> int:
        """Append ``text``."""
        if self.failed is not None:
            return 0
        with self._writing():
            return self._fh.write(text)

    def flush(self) -> None:
        """Push what was written to the file."""
        if self.failed is not None:
            return
        with self._writing():
            self._fh.flush()

    @property
    def closed(self) -> bool:
        """Whether the file was closed."""
        return self._fh.closed

    def close(self) -> None:
        """Close the file (after a failed write, without trying its buffer again)."""
        if self.failed is not None:
            with contextlib.suppress(OSError):
                self._fh.close()
            return
        with self._writing():
            self._fh.close()


@contextmanager
def open_log(path: str | Path | None) -> Iterator[LogFile | None]:
    """The ``--log-file`` for the length of a run, or None."""
    if path is None:
        yield None
        return
    log = LogFile(path)
    try:
        yield log
    finally:
        log.close()


# -- finished files ------------------------------------------------------------------------------


def move_done(files: list[str], target: str | Path) -> list[str]:
    """Move fully accounted input files into ``target`` (never overwriting); stdin stays."""
    dest_dir = Path(target)
    with storage_errors(dest_dir, option="move_done", action="created"):
        dest_dir.mkdir(parents=True, exist_ok=True)
    moved = []
    for name in files:
        if name == "-":
            continue
        src = Path(name)
        dest = dest_dir / src.name
        n = 1
        while dest.exists():
            dest = dest_dir / f"{src.stem}.{n}{src.suffix}"
            n += 1
        with storage_errors(dest, option="move_done", action="moved there"):
            shutil.move(src, dest)
        moved.append(str(dest))
    return moved


# -- the rejected rows -----------------------------------------------------------------------------

#: Re-reads the original cells of the row numbers given in ascending order (read.read_rows).
RowReader = Callable[[Iterable[int]], Iterator[tuple[int, list[str]]]]


def _header_slots(headers: list[str]) -> list[tuple[str, int]]:
    """(header, occurrence) pairs, so a repeated header name keeps each of its columns."""
    seen: Counter[str] = Counter()
    slots = []
    for h in headers:
        slots.append((h, seen[h]))
        seen[h] += 1
    return slots


def write_rejected_csv(
    path: str | Path,
    report: ImportReport,
    sources: list[tuple[str, list[str], RowReader]],
) -> int:
    """Write every row not imported with its original cells plus ``row`` and ``reason``.

    ``sources`` holds, per input file, ``(file, headers, read_rows)`` where ``read_rows(rows)``
    yields ``(row number, cells)`` for the row numbers asked for (in ascending order, taken
    lazily), in row order. Files with
    different headers share one CSV whose header is the union of theirs in first-seen order,
    with a leading ``file`` column when several files are involved. Every cell is neutralised
    against formula injection. Returns the number of rows written.
    """
    with storage_errors(path, option="rejected_path"):
        return _write_rejected_csv(path, report, sources)


def _write_rejected_csv(
    path: str | Path,
    report: ImportReport,
    sources: list[tuple[str, list[str], RowReader]],
) -> int:
    # Streamed: the detail store hands out each file's rows in row order and the file is
    # re-read alongside, so neither the rows nor their reasons are held at once.
    with_details = report.details.files()
    involved = [(f, h, r) for f, h, r in sources if f in with_details]
    union: list[tuple[str, int]] = []
    for _, headers, _ in involved:
        union += [slot for slot in _header_slots(headers) if slot not in union]
    with_file = len(involved) > 1
    written = 0
    records = report.details.records(order=[f for f, _, _ in involved])
    with open_private(path) as out:
        writer = csv.writer(out)
        # Rows longer than their header (the reader's long_row) keep the surplus cells in
        # one more column, so the person fixing them loses nothing.
        long_rows = report.details.has_code(ReasonCode.LONG_ROW, [f for f, _, _ in involved])
        extra = [EXTRA_CELLS_HEADER] if long_rows else []
        head = (["file"] if with_file else []) + [h for h, _ in union] + extra + ["row", "reason"]
        writer.writerow([neutralise_formula(h) for h in head])
        readers = {f: (h, r) for f, h, r in involved}
        for file, group in groupby(records, key=attrgetter("file")):
            if file not in readers:
                continue
            headers, read_rows = readers[file]
            positions = [union.index(slot) for slot in _header_slots(headers)]
            pending: deque[DetailRecord] = deque()
            asked = _rows_of(group, pending)
            for row, cells in read_rows(asked):
                # The reader takes the row numbers one ahead of the file; one that reads
                # otherwise gets them pulled here.
                while (not pending or pending[-1].row < row) and next(asked, None) is not None:
                    pass
                while pending and pending[0].row < row:  # blank or beyond the end
                    pending.popleft()
                if not pending or pending[0].row != row:
                    continue  # not a row asked for
                detail = pending.popleft()
                line = [""] * len(union)
                for pos, value in zip(positions, cells):
                    line[pos] = value or ""
                if long_rows:
                    line.append(" | ".join(v or "" for v in cells[len(positions) :]))
                writer.writerow(
                    [neutralise_formula(v) for v in ([file] if with_file else []) + line]
                    + [str(row), neutralise_formula(detail.text)]
                )
                written += 1
    return written


def _rows_of(
    records: Iterable[DetailRecord], pending: deque[DetailRecord]
) -> Generator[int, None, None]:
    """The row numbers of one file's records (in row order), each once; the record a row's
    reason is taken from (the last one added for it) goes to ``pending`` as it is handed."""
    for row, same in groupby(records, key=attrgetter("row")):
        pending.append(deque(same, maxlen=1)[0])
        yield row
