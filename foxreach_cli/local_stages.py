"""The stages that run on this machine, chunk by chunk: READ -> VALIDATE -> DEDUP -> the rows an
earlier run settled left out -> HYGIENE. :func:`unique_rows` yields what is left to send.

Every row read ends in one bucket of the report's fold here or later: invalid, duplicate,
excluded, already settled, or handed on (a dry run counts those as not sent).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from .batch import UniqueRows
from .dedup import Deduper, no_duplicates
from .details import DetailPart
from .errors import StorageError
from .read import Limited
from .report import DedupInfo, HygieneInfo, ReadInfo, UnsentInfo, ValidateInfo
from .run_state import RunState
from .stage_data import DUPLICATE, INVALID
from .validate import ValidatedChunk, validate_chunk

if TYPE_CHECKING:
    import pandas as pd

    from .input_files import PreparedFile
    from .mapping import Mapping
    from .stage_data import Chunk


def unique_rows(run: RunState, files: list[PreparedFile]) -> Iterator[UniqueRows]:
    """Read, validate, dedup and check every file; yield each chunk's rows to send."""
    # Closed as soon as the input is read (or the run ends): its spill file in TMPDIR is
    # freed at once, and a small TMPDIR can be unmounted after a run in-process.
    with Deduper() as deduper:
        chunks = Limited([f.source for f in files], run.cfg.limit)
        for n, chunk in chunks:
            part = _chunk(run, chunk, files[n].mapping, deduper)
            if part is not None:
                yield part
    run.truncated = chunks.truncated
    # Every row is read (or --limit's): the count replaces the estimate (a line count, off by
    # a few rows in either direction), so the ETA counts no phantom batch.
    run.display.total = run.fold.tally.rows_read


def _chunk(run: RunState, chunk: Chunk, mapping: Mapping, deduper: Deduper) -> UniqueRows | None:
    """One chunk through the local stages; None when its rows will not be sent."""
    file, fold = chunk.file, run.fold
    fold.add(ReadInfo(file, len(chunk.frame)))
    checked = validate_chunk(chunk, mapping, run.cfg.defaults)
    invalid = DetailPart.of_frame(file, checked.invalid, INVALID)
    fold.add(
        ValidateInfo(file, invalid, checked.email_from, checked.opt_outs_found, checked.consent_no)
    )
    unique = _not_settled(run, file, _dedup(run, deduper, checked))
    if run.hygiene is not None and len(unique) and not run.stop.stopped:
        unique = _hygiene(run, file, mapping, checked, unique)
    part = UniqueRows(file, checked.cells, unique)
    if run.stop.stopped and not run.cfg.dry_run:
        # A write failed: nothing more is sent, and rows are no longer deduped (the spill may
        # be what failed). The rest is read to the end and reported as not sent, so every row
        # read is still accounted for.
        run.not_sent([part], run.stop.reason())
        return None
    if run.cfg.dry_run:
        fold.add(UnsentInfo(file, len(unique)))
    run.display.show()
    return part


def _dedup(run: RunState, deduper: Deduper, checked: ValidatedChunk) -> pd.DataFrame:
    """The chunk's first occurrences (every valid row once a write failed)."""
    unique, duplicates = checked.valid, no_duplicates()
    if not run.stop.stopped:
        try:
            unique, duplicates = deduper.split(checked)
        except StorageError as exc:  # its spill file: TMPDIR is full
            run.stop.failed(exc)
    file = checked.file
    run.fold.add(DedupInfo(file, len(unique), DetailPart.of_frame(file, duplicates, DUPLICATE)))
    run.opt_outs.carried(file, duplicates)  # a later copy's opt-out, for a lead sent earlier
    return unique


def _not_settled(run: RunState, file: str, unique: pd.DataFrame) -> pd.DataFrame:
    """Without the rows whose fate an earlier run of the same file settled (the journal)."""
    done = run.resume.settled.get(file) if run.resume is not None else None
    if done is None or not len(done):
        return unique
    return unique[~unique["row"].isin(done)]


def _hygiene(
    run: RunState, file: str, mapping: Mapping, checked: ValidatedChunk, unique: pd.DataFrame
) -> pd.DataFrame:
    """The rows no hygiene rule left out; the others are reported and journaled."""
    assert run.hygiene is not None
    cells = checked.cells.frame
    pos = unique["pos"].to_numpy()
    verdicts = [(v, cells[v.key].to_numpy(dtype=object)[pos]) for v in mapping.verdicts]
    split = run.hygiene.split(file, unique, verdicts=verdicts)
    run.fold.add(HygieneInfo(file, split.excluded, split.flagged))
    if run.resume is not None and len(split.excluded):
        try:
            run.resume.excluded(file, split.excluded)
        except StorageError as exc:
            run.stop.failed(exc)
    return split.kept
