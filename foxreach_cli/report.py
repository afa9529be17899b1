"""The REPORT stage: the run's one set of counters and every row not imported, merged into
one :class:`ImportReport`.

Every input row ends in exactly one bucket::

    rowsRead == created + restored + duplicates + errors + notSent

``duplicates`` and ``errors`` are merged totals (local + server). What the server's answers
mean row by row is worked out in :mod:`foxreach_cli.reconcile`; writing the report to files is
:mod:`foxreach_cli.outputs`.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from .models import DUPLICATE, ERROR, INVALID, NOT_SENT, UNRESOLVED, Tally
from .reconcile import RETRY_DUPLICATE_REASON, Detail, Reconciled

_DETAIL_COLUMNS = ["file", "row", "email", "reason", "kind"]
#: The Tally field each kind of local rejection counts in.
_LOCAL_COUNTER = {INVALID: "invalid", DUPLICATE: "local_duplicates", NOT_SENT: "not_sent"}
#: What a reconciled batch adds to the counters (fields of both Reconciled and Tally).
_SERVER_COUNTERS = (
    "created",
    "restored",
    "server_duplicates",
    "server_errors",
    "not_sent",
    "retry_duplicates",
)
#: The order of a journal outcome's counts.
_PREVIOUS_COUNTERS = ("created", "restored", "server_duplicates", "server_errors")


@dataclass
class FileSummary:
    """Per-file facts shown in the summary and written to the JSON report."""

    file: str
    format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    mapping: list[dict[str, str]] = field(default_factory=list)
    rows_read: int = 0
    # Why the file could not be read or mapped (it was then left out of the run).
    refused: str | None = None
    header_row: int = 1  # spreadsheet row of the column names (later below a preamble)
    # Set when the file had been fully imported before: its report was rebuilt from the
    # journal and a local re-read, and nothing was sent.
    imported_at: str | None = None
    # What was decided about each status-like or opt-out column (Mapping.notes), and those
    # about a status-like column not used for the status (Mapping.warnings).
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Rows whose email column was empty, so another email column gave the email:
    # that column's header -> rows.
    email_fallbacks: dict[str, int] = field(default_factory=dict)


@dataclass
class ImportReport:
    """The final, merged report of one run (the JSON of ``--report`` and ``--json``)."""

    dry_run: bool
    rows_read: int
    valid: int
    invalid: int
    local_duplicates: int
    created: int
    restored: int
    duplicates: int
    errors: int
    not_sent: int
    requests: int
    retries: int
    rate_limited: int
    elapsed_seconds: float
    details: pd.DataFrame  # file, row, email, reason, kind — every row not (surely) imported
    files: list[FileSummary] = field(default_factory=list)
    retry_duplicates: int = 0
    stopped_because: str | None = None
    complete: bool = True
    sandbox: bool = False
    previous: list[int] = field(default_factory=lambda: [0, 0, 0, 0])

    @property
    def reproduced(self) -> bool:
        """Whether every file had been imported before, so this report was reproduced."""
        read = [f for f in self.files if not f.refused]
        return bool(read) and all(f.imported_at for f in read)

    @property
    def unresolved(self) -> int:
        """Rows whose fate the server's capped lists do not reveal."""
        return int((self.details["kind"] == UNRESOLVED).sum())

    def _records(self, *kinds: str) -> list[dict[str, Any]]:
        part = self.details[self.details["kind"].isin(kinds)]
        return [
            {"file": f, "row": int(r), "email": e, "reason": why}
            for f, r, e, why in zip(part["file"], part["row"], part["email"], part["reason"])
        ]

    def to_dict(self) -> dict[str, Any]:
        """The report as the documented camelCase JSON object."""
        dups = self.details[self.details["kind"] == DUPLICATE]
        not_sent = self.details[self.details["kind"] == NOT_SENT]
        return {
            "dryRun": self.dry_run,
            "sandbox": self.sandbox,
            "complete": self.complete,
            "stoppedBecause": self.stopped_because,
            "rowsRead": self.rows_read,
            "valid": self.valid,
            "invalid": self.invalid,
            "localDuplicates": self.local_duplicates,
            "created": self.created,
            "restored": self.restored,
            "duplicates": self.duplicates,
            "errors": self.errors,
            "notSent": self.not_sent,
            "unresolved": self.unresolved,
            "duplicatesFromRetries": self.retry_duplicates,
            "duplicateEmails": [e for e in dups["email"] if e],
            "duplicateDetails": self._records(DUPLICATE),
            "errorDetails": self._records(INVALID, ERROR),
            "unresolvedRows": self._records(UNRESOLVED),
            "notSentReasons": dict(Counter(not_sent["reason"])),
            "previousRuns": dict(
                zip(("created", "restored", "duplicates", "errors"), self.previous)
            ),
            "reproduced": self.reproduced,
            "requests": self.requests,
            "retries": self.retries,
            "rateLimited": self.rate_limited,
            "elapsedSeconds": round(self.elapsed_seconds, 3),
            "files": [
                {
                    "file": f.file,
                    "format": f.format,
                    "encoding": f.encoding,
                    "delimiter": f.delimiter,
                    "sheet": f.sheet,
                    "headerRow": f.header_row,
                    "rowsRead": f.rows_read,
                    "importedAt": f.imported_at,
                    "refused": f.refused,
                    "mapping": f.mapping,
                    "mappingNotes": f.notes,
                    "emailFallbacks": f.email_fallbacks,
                }
                for f in self.files
            ],
        }

    def to_json(self) -> str:
        """The report as indented JSON text."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def rejected_rows(self) -> dict[str, dict[int, str]]:
        """Every row not imported, by file then row number: its reason."""
        out: dict[str, dict[int, str]] = {}
        for f, r, why in zip(self.details["file"], self.details["row"], self.details["reason"]):
            out.setdefault(f, {})[int(r)] = why
        return out


class DetailStore:
    """The per-row details of locally rejected rows, kept compact until the report is built.

    Each added part keeps its row numbers as one int64 array and its emails and reasons
    each as one joined ``str`` with an array of end offsets: about 70 bytes per row instead
    of about 200 for frames of Python strings (two ``str`` objects per row), so the details
    of a run with millions of rows do not grow it by hundreds of MB.
    """

    def __init__(self) -> None:
        # (file, kind, rows, joined emails, their ends, joined reasons, their ends)
        self._parts: list[tuple[str, str, np.ndarray, str, np.ndarray, str, np.ndarray]] = []

    def __len__(self) -> int:
        return sum(len(part[2]) for part in self._parts)

    def add(
        self, file: str, kind: str, rows: np.ndarray, emails: list[str], reasons: list[str]
    ) -> None:
        """Keep one part: rows of one file and kind, with their emails and reasons."""
        if len(rows):
            self._parts.append(
                (file, kind, np.asarray(rows, dtype=np.int64), *_join(emails), *_join(reasons))
            )

    def frames(self) -> list[pd.DataFrame]:
        """The parts as frames with columns file, row, email, reason, kind (object text)."""
        return [
            pd.DataFrame(
                {
                    "file": file,
                    "row": rows,
                    "email": _unjoin(emails, email_ends),
                    "reason": _unjoin(reasons, reason_ends),
                    "kind": kind,
                }
            )
            for file, kind, rows, emails, email_ends, reasons, reason_ends in self._parts
        ]


def _join(texts: list[str]) -> tuple[str, np.ndarray]:
    ends = np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)))
    small = not len(ends) or ends[-1] < 2**31
    return "".join(texts), ends.astype(np.int32) if small else ends


def _unjoin(joined: str, ends: np.ndarray) -> np.ndarray:
    bounds = [0, *ends.tolist()]
    return np.array([joined[a:b] for a, b in pairwise(bounds)], dtype=object)


class ReportBuilder:
    """Gathers every stage's result into the run's :class:`Tally` and per-row details;
    ``finish()`` returns the ImportReport. Used from one thread only."""

    def __init__(self, *, dry_run: bool, sandbox: bool = False) -> None:
        self.dry_run = dry_run
        self.sandbox = sandbox
        self.tally = Tally()
        self.files: list[FileSummary] = []
        # (file, row) sent by an earlier run that got no answer: duplicates are likely ours
        self.uncertain: set[tuple[str, int]] = set()
        self.previous = [0, 0, 0, 0]  # created, restored, duplicates, errors of earlier runs
        self.by_file: dict[str, Tally] = {}  # the same counters, per input file
        self._details = DetailStore()
        self._small: list[Detail] = []

    def _count(self, file: str, counter: str, n: int) -> None:
        """Add ``n`` to one counter of the run and of ``file``."""
        for tally in (self.tally, self.by_file.setdefault(file, Tally())):
            setattr(tally, counter, getattr(tally, counter) + n)

    # -- local stages ---------------------------------------------------------------------
    def add_file(self, summary: FileSummary) -> None:
        """Register an input file (in run order)."""
        self.files.append(summary)
        self.by_file.setdefault(summary.file, Tally())

    def add_email_fallbacks(self, file: str, used: dict[str, int]) -> None:
        """Count rows of ``file`` whose email came from another email column (per header)."""
        for f in self.files:
            if f.file == file:
                for header, n in used.items():
                    f.email_fallbacks[header] = f.email_fallbacks.get(header, 0) + n
                break

    def add_read(self, file: str, n: int) -> None:
        """Count ``n`` data rows read from ``file``."""
        self._count(file, "rows_read", n)
        for f in self.files:
            if f.file == file:
                f.rows_read += n
                break

    def add_local(self, file: str, frame: pd.DataFrame, kind: str) -> None:
        """Record locally settled rows (columns row, email, reason) of one kind: invalid,
        duplicate in the input, or not sent."""
        if frame.empty:
            return
        self._count(file, _LOCAL_COUNTER[kind], len(frame))
        self._details.add(
            file,
            kind,
            frame["row"].to_numpy(),
            frame["email"].fillna("").astype(str).tolist(),
            frame["reason"].astype(str).tolist(),
        )

    def add_valid(self, file: str, n: int) -> None:
        """Count ``n`` rows that passed validation and were first of their email."""
        self._count(file, "valid", n)

    def add_unsent_valid(self, file: str, n: int) -> None:
        """Count valid rows a dry run does not send: nothing to fix, so no per-row detail."""
        self._count(file, "not_sent", n)

    def add_not_sent_frame(self, file: str, frame: pd.DataFrame, reason: str) -> None:
        """Record a frame of valid rows (columns row, email) that will not be sent."""
        if frame.empty:
            return
        self.add_local(file, frame.assign(reason=reason)[["row", "email", "reason"]], NOT_SENT)

    # -- the server ------------------------------------------------------------------------
    def add_requests(
        self, file: str, requests: int, retries: int, rate_limited: int, *, batches: int = 1
    ) -> None:
        """Count the HTTP requests that batches of ``file`` took."""
        self._count(file, "requests", requests)
        self._count(file, "retries", retries)
        self._count(file, "rate_limited", rate_limited)
        self._count(file, "batches", batches)

    def add_reconciled(self, file: str, r: Reconciled) -> None:
        """Merge what the answers to one batch of ``file`` meant (:func:`reconcile.reconcile`)."""
        for counter in _SERVER_COUNTERS:
            self._count(file, counter, getattr(r, counter))
        self._small += r.details

    def add_previous(
        self,
        file: str,
        counts: list[int],
        rows: dict[int, tuple[str, str, str]],
        *,
        reproduced: bool = False,
    ) -> None:
        """Merge a batch answered in an earlier run of the same file: a resume (the rows are
        marked as from an earlier run) or a reproduction of a finished import (as they were)."""
        for counter, n in zip(_PREVIOUS_COUNTERS, counts, strict=True):
            self._count(file, counter, n)
        if not reproduced:
            self.previous = [p + c for p, c in zip(self.previous, counts)]
        prefix = "" if reproduced else "earlier run: "
        for row, (kind, email, reason) in rows.items():
            if kind in (DUPLICATE, ERROR, UNRESOLVED):
                self._small.append((file, row, email, prefix + reason, kind))
                self._count(file, "retry_duplicates", reason == RETRY_DUPLICATE_REASON)

    # -- the end ---------------------------------------------------------------------------
    def finish(
        self,
        *,
        elapsed: float,
        stopped_because: str | None = None,
        complete: bool = True,
    ) -> ImportReport:
        """Freeze what was gathered into the final report."""
        frames = self._details.frames()
        if self._small:
            frames.append(pd.DataFrame(self._small, columns=_DETAIL_COLUMNS))
        details = (
            pd.concat(frames, ignore_index=True)
            if frames
            else pd.DataFrame({c: pd.Series(dtype=object) for c in _DETAIL_COLUMNS})
        )
        if not details.empty:
            order = {f.file: n for n, f in enumerate(self.files)}
            details = (
                details.assign(_f=details["file"].map(order).fillna(len(order)))
                .sort_values(["_f", "row"], kind="stable")
                .drop(columns="_f")
                .reset_index(drop=True)
            )
        t = self.tally
        return ImportReport(
            dry_run=self.dry_run,
            sandbox=self.sandbox,
            rows_read=t.rows_read,
            valid=t.valid,
            invalid=t.invalid,
            local_duplicates=t.local_duplicates,
            created=t.created,
            restored=t.restored,
            duplicates=t.duplicates,
            errors=t.errors,
            not_sent=t.not_sent,
            requests=t.requests,
            retries=t.retries,
            rate_limited=t.rate_limited,
            elapsed_seconds=elapsed,
            details=details,
            files=self.files,
            retry_duplicates=t.retry_duplicates,
            stopped_because=stopped_because,
            complete=complete,
            previous=self.previous,
        )
