"""The import history: what ``foxreach runs`` lists and ``foxreach runs show`` rebuilds.

Every journaled run of a file is recorded in the state directory's journal (when it started
and ended, the file, the destination, its counts and how it ended). Listing only reads the
journal. Showing one run rebuilds its report the way a rerun does, from the journal plus a
local re-read of the file, without sending anything or changing the journal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .credentials import Credentials
from .errors import UsageError
from .stage_data import Tally
from .state.journal import RUNNING, Journal, RunRecord, file_hash
from .state.locks import is_held

if TYPE_CHECKING:
    from .pipeline import RunResult

#: How ``foxreach runs`` calls a run whose process died without recording its end.
DIED = "interrupted"


@dataclass(frozen=True)
class RunView:
    """One recorded run of one file, with what can be said of it now."""

    record: RunRecord
    status: str  # finished, reproduced, stopped, interrupted, or running

    @property
    def destination(self) -> str:
        """Where it imported to, as host and key fingerprint (never the key)."""
        return describe_destination(self.record.destination)

    def to_dict(self) -> dict[str, Any]:
        """The run as JSON for ``foxreach runs --json``."""
        r = self.record
        return {
            "id": r.id,
            "startedAt": _iso(r.started_at),
            "endedAt": _iso(r.ended_at),
            "file": r.name,
            "path": r.path,
            "contentHash": r.content_hash[:12],
            "destination": self.destination,
            "status": self.status,
            **_counts(r.summary),
        }


def _counts(c: Tally | None) -> dict[str, int | None]:
    """The file's counts when the run ended, duplicates and errors merged as the report
    merges them; all None for a run that has not ended."""
    if c is None:
        return dict.fromkeys(_COUNT_KEYS)
    values = (c.rows_read, c.created, c.restored, c.duplicates, c.errors, c.excluded, c.not_sent)
    return dict(zip(_COUNT_KEYS, values, strict=True))


_COUNT_KEYS = ("rowsRead", "created", "restored", "duplicates", "errors", "excluded", "notSent")


def describe_destination(destination: str) -> str:
    """``https://api.foxreach.io/api/v1#0123abcd...`` -> ``api.foxreach.io key 0123abcd``."""
    if destination.startswith("sandbox:"):
        return "embedded sandbox"
    url, _, fingerprint = destination.partition("#")
    host = urlsplit(url).netloc or url
    return f"{host} key {fingerprint[:8]}" if fingerprint else host


def _iso(when: float | None) -> str | None:
    if when is None:
        return None
    return datetime.fromtimestamp(when).astimezone().isoformat(timespec="seconds")


def list_runs(state_dir: Path, *, limit: int | None = None) -> list[RunView]:
    """The runs recorded in ``state_dir``, newest first; reading only."""
    journal = Journal.read_only(state_dir)
    if journal is None:
        return []
    with journal:
        records = journal.runs(limit)
    views = []
    for r in records:
        status = r.status
        if status == RUNNING and not is_held(state_dir, f"{r.destination}|{r.content_hash}"):
            status = DIED  # its process ended without saying how
        views.append(RunView(r, status))
    return views


def replay_run(
    state_dir: Path,
    run_id: int,
    *,
    file: str | None = None,
    report_path: str | None = None,
    rejected_path: str | None = None,
) -> RunResult:
    """Rebuild the report of run ``run_id`` from the journal and the file it read."""
    # Imported here: listing the runs must not load the pipeline (and pandas with it).
    from .import_config import replay_config
    from .pipeline import run_import

    journal = Journal.read_only(state_dir)
    if journal is None:
        raise UsageError(f"{state_dir} holds no import history.", option="state_dir")
    with journal:
        record = journal.run(run_id)
    if record is None:
        raise UsageError(f"There is no run {run_id} in {state_dir}; 'foxreach runs' lists them.")
    path = file or record.path
    if path is None:
        raise UsageError(
            f"Run {run_id} read stdin; pass the same data as a file with --file.",
        )
    if not Path(path).is_file():
        raise UsageError(
            f"Run {run_id} read {path}, which is no longer there (moved by --move-done?); "
            "pass where it is now with --file.",
        )
    if file_hash(path) != record.content_hash:
        raise UsageError(
            f"{path} is not the file run {run_id} imported (its content differs).",
        )
    cfg = replay_config(
        path,
        record.options,
        credentials=Credentials(base_url="", api_key=None, destination=record.destination),
        state_dir=state_dir,
        report_path=report_path,
        rejected_path=rejected_path,
    )
    return run_import(cfg)
