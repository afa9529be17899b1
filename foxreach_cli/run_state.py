"""One run's moving parts, shared by the wiring of its stages (:mod:`.pipeline`,
:mod:`.local_stages`, :mod:`.live_send`): the report's fold, the display, the stop signal,
the journal, the hygiene rules and the opt-out updates."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .details import DetailPart
from .import_config import ImportConfig
from .optout_updates import OptOutStage
from .report import ReportFold, UnsentInfo
from .run_display import RunDisplay
from .stage_data import NOT_SENT
from .stop_signal import StopSignal

if TYPE_CHECKING:
    from .batch import UniqueRows
    from .hygiene.stage import Hygiene
    from .reasons import Rejection
    from .resume import Resume
    from .stage_data import Batch


@dataclass
class RunState:
    """What every stage of one run reports to, and what it must know of the others."""

    cfg: ImportConfig
    fold: ReportFold
    display: RunDisplay
    stop: StopSignal
    resume: Resume | None = None  # the journal, when the run keeps or replays one
    hygiene: Hygiene | None = None  # the rules (None only for `runs show`)
    imported: int = 0  # leads this run's answers created or restored
    truncated: bool = False  # --limit stopped reading before the end of the input
    # Told of each answered batch and its rows not imported (import --campaign enrols them).
    on_batch: Callable[[Batch, DetailPart], None] | None = None
    # Opt-outs for leads already in the workspace, done after sending; with the journal
    # once it is open (open_opt_outs).
    opt_outs: OptOutStage = field(init=False)

    def __post_init__(self) -> None:
        self.opt_outs = OptOutStage(self.fold.add, note=self.display.progress.note)

    def open_opt_outs(self) -> None:
        """The opt-out updates stage with the journal: what earlier runs did and left."""
        resume = self.resume
        if resume is None:
            return
        for done in resume.opt_out_history:
            self.fold.add(done)
        self.opt_outs = OptOutStage(
            self.fold.add,
            journal=resume if resume.journal is not None else None,
            done=resume.opt_outs_done,
            pending=resume.opt_outs_pending,
            on_storage_failure=self.stop.failed,
            note=self.display.progress.note,
        )

    def not_sent(self, parts: Iterable[UniqueRows], reason: Rejection) -> None:
        """Account for rows that will not be sent, each with ``reason``."""
        for part in parts:
            rows = part.rows
            details = DetailPart.of(
                part.file,
                rows["row"].to_numpy(),
                rows["email"].fillna("").astype(str).tolist(),
                NOT_SENT,
                reason.code,
                reason.packed(),
            )
            self.fold.add(UnsentInfo(part.file, len(details), details))
            self.display.show()

    def journal_state(self) -> str:
        """'kept' when the journal recorded every answer of this run (a rerun then sends
        nothing twice), 'lost' when a write of it failed, 'none' without one."""
        if self.resume is None:
            return "none"
        return "kept" if self.resume.journal is not None else "lost"
