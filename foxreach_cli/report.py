"""The REPORT stage: merge local rejections and every batch's server answer into one report.

Every input row ends in exactly one bucket::

    rowsRead == created + restored + duplicates + errors + notSent

``duplicates`` and ``errors`` are merged totals (local + server). The server lists at most 100
duplicates and 100 errors per request and never row numbers, so each reply is mapped back to
the rows of the request it answered (case-insensitively by email); where a reply counts more
than it lists, the rows that cannot be told apart are named as *unresolved* instead of guessed.
"""

from __future__ import annotations

import csv
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from .models import Batch, BatchResult, Reply

#: Kinds of per-row detail the report keeps.
INVALID, DUPLICATE, ERROR, NOT_SENT, UNRESOLVED = (
    "invalid",
    "duplicate",
    "error",
    "notSent",
    "unresolved",
)
_DETAIL_COLUMNS = ["file", "row", "email", "reason", "kind"]
RETRY_DUPLICATE_REASON = (
    "already in the workspace: probably imported by an earlier attempt of the same request "
    "that got no answer"
)
DUPLICATE_REASON = "already in the workspace"
UNRESOLVED_REASON = (
    "the server counted more duplicates/errors than it listed, so this row may have been "
    "imported or skipped; use --exact-report to know"
)
#: Journal kind of rows the server imported (created or restored: it does not say which).
IMPORTED = "imported"
#: How the reader's reason for a row longer than its header starts.
LONG_ROW_PREFIX = "row has "
EXTRA_CELLS_HEADER = "(cells beyond the header)"
EXTRA_CELLS_SEPARATOR = " | "
#: Cells starting with these are formulas to a spreadsheet (OWASP CSV injection).
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def open_private(path: str | Path) -> TextIO:
    """Open ``path`` for writing text, created readable by its owner only: reports and
    rejected rows hold people's personal data."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return open(fd, "w", encoding="utf-8", newline="")


def neutralise_formula(value: str) -> str:
    """Prefix a cell a spreadsheet would execute as a formula with an apostrophe."""
    return "'" + value if value.startswith(_FORMULA_PREFIXES) else value


@dataclass
class BatchOutcome:
    """What became of one batch: server counts (created, restored, duplicates, errors) and
    each row's (kind, email, reason); rows with no entry have an unknown fate."""

    counts: list[int]
    rows: dict[int, tuple[str, str, str]] = field(default_factory=dict)


@dataclass
class FileSummary:
    """Per-file facts shown in the summary and written to the JSON report."""

    file: str
    format: str
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    mapping: list[dict[str, str]]
    rows_read: int = 0


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
    skipped: list[dict[str, str]] = field(default_factory=list)

    @property
    def unresolved(self) -> int:
        """Rows whose fate the server's capped lists do not reveal."""
        return int((self.details["kind"] == UNRESOLVED).sum())

    def identity_holds(self) -> bool:
        """The accounting identity of DESIGN.md."""
        return self.rows_read == (
            self.created + self.restored + self.duplicates + self.errors + self.not_sent
        )

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
            "skippedFiles": self.skipped,
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
                    "rowsRead": f.rows_read,
                    "mapping": f.mapping,
                }
                for f in self.files
            ],
        }

    def to_json(self) -> str:
        """The report as indented JSON text."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def write_json(self, path: str | Path) -> None:
        """Write the JSON report to ``path`` (owner-only: it holds lead emails)."""
        with open_private(path) as fh:
            fh.write(self.to_json() + "\n")

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
    """Accumulates what every stage learned; ``finish()`` returns the ImportReport.

    Used from one thread only (the sender calls back in the calling thread).
    """

    def __init__(self, *, dry_run: bool, sandbox: bool = False) -> None:
        self.dry_run = dry_run
        self.sandbox = sandbox
        self.rows_read = 0
        self.valid = 0
        self.invalid = 0
        self.local_duplicates = 0
        self.created = 0
        self.restored = 0
        self.server_duplicates = 0
        self.server_errors = 0
        self.not_sent = 0
        self.requests = 0
        self.retries = 0
        self.rate_limited = 0
        self.retry_duplicates = 0
        self.files: list[FileSummary] = []
        # (file, row) sent by an earlier run that got no answer: duplicates are likely ours
        self.uncertain: set[tuple[str, int]] = set()
        self.previous = [0, 0, 0, 0]  # created, restored, duplicates, errors of earlier runs
        self.skipped: list[dict[str, str]] = []  # files imported before, not read again
        self._details = DetailStore()
        self._small: list[tuple[str, int, str, str, str]] = []

    # -- local stages ---------------------------------------------------------------------
    def add_file(self, summary: FileSummary) -> None:
        """Register an input file (in run order)."""
        self.files.append(summary)

    def add_read(self, file: str, n: int) -> None:
        """Count ``n`` data rows read from ``file``."""
        self.rows_read += n
        for f in self.files:
            if f.file == file:
                f.rows_read += n
                break

    def add_local(self, file: str, frame: pd.DataFrame, kind: str) -> None:
        """Record locally rejected rows (columns row, email, reason) of one kind."""
        if frame.empty:
            return
        if kind == INVALID:
            self.invalid += len(frame)
        elif kind == DUPLICATE:
            self.local_duplicates += len(frame)
        elif kind == NOT_SENT:
            self.not_sent += len(frame)
        else:  # pragma: no cover - programming error
            raise ValueError(kind)
        self._details.add(
            file,
            kind,
            frame["row"].to_numpy(),
            frame["email"].fillna("").astype(str).tolist(),
            frame["reason"].astype(str).tolist(),
        )

    def add_valid(self, n: int) -> None:
        """Count ``n`` rows that passed validation and were first of their email."""
        self.valid += n

    def add_not_sent(
        self, files: Iterable[str], rows: Iterable[int], emails: Iterable[str], reason: str
    ) -> None:
        """Record valid rows that were never imported (dry run, stop, interrupt)."""
        for f, r, e in zip(files, rows, emails):
            self._small.append((f, int(r), e, reason, NOT_SENT))
            self.not_sent += 1

    def add_unsent_valid(self, n: int) -> None:
        """Count valid rows a dry run does not send: nothing to fix, so no per-row detail."""
        self.not_sent += n

    def add_not_sent_frame(self, file: str, frame: pd.DataFrame, reason: str) -> None:
        """Record a frame of valid rows (columns row, email) that will not be sent."""
        if frame.empty:
            return
        self.add_local(file, frame.assign(reason=reason)[["row", "email", "reason"]], NOT_SENT)

    # -- the server ------------------------------------------------------------------------
    def add_batch_result(self, batch: Batch, result: BatchResult) -> BatchOutcome:
        """Merge one batch's server answers, mapping listed emails back to rows.

        Returns what became of each row, for the resume journal.
        """
        self.requests += result.requests
        self.retries += result.retries
        self.rate_limited += result.rate_limited
        before = (self.created, self.restored, self.server_duplicates, self.server_errors)
        first_detail = len(self._small)
        for reply in result.replies:
            self._add_reply(batch, reply)
        for i, reason in result.rejected:
            self._row(batch, i, f"refused by the server: {reason}", ERROR)
            self.server_errors += 1
        after = (self.created, self.restored, self.server_duplicates, self.server_errors)
        outcome = BatchOutcome(counts=[a - b for a, b in zip(after, before)])
        for _, row, email, reason, kind in self._small[first_detail:]:
            outcome.rows[row] = (kind, email, reason)
        for reply in result.replies:
            for i in reply.indices:
                outcome.rows.setdefault(batch.rows[i], (IMPORTED, batch.emails[i], ""))
        for i, reason in result.not_sent.items():
            self._row(batch, i, reason, NOT_SENT)
            self.not_sent += 1
            if not result.retries:  # never reached the server: nothing of it can be stored
                outcome.rows[batch.rows[i]] = (NOT_SENT, batch.emails[i], reason)
        return outcome

    def add_previous(
        self, file: str, counts: list[int], rows: dict[int, tuple[str, str, str]]
    ) -> None:
        """Merge a batch answered in an earlier run of the same file (resume)."""
        created, restored, dups, errors = counts
        self.created += created
        self.restored += restored
        self.server_duplicates += dups
        self.server_errors += errors
        self.previous = [p + c for p, c in zip(self.previous, counts)]
        for row, (kind, email, reason) in rows.items():
            if kind in (DUPLICATE, ERROR, UNRESOLVED):
                self._small.append((file, row, email, f"earlier run: {reason}", kind))
                self.retry_duplicates += reason == RETRY_DUPLICATE_REASON

    def _row(self, batch: Batch, i: int, reason: str, kind: str) -> None:
        self._small.append((batch.files[i], batch.rows[i], batch.emails[i], reason, kind))

    def _add_reply(self, batch: Batch, reply: Reply) -> None:
        data = reply.data
        n = len(reply.indices)
        created = int(data.get("created", 0))
        restored = int(data.get("restored", 0))
        n_dup = int(data.get("duplicates", 0))
        n_err = int(data.get("errors", 0))
        by_key = {batch.emails[i].strip().lower(): i for i in reply.indices}

        dup_rows: list[int] = []
        for email in data.get("duplicateEmails") or []:
            i = by_key.pop(str(email).strip().lower(), None)
            if i is not None:
                dup_rows.append(i)
        err_rows: list[tuple[int, str]] = []
        for item in data.get("errorDetails") or []:
            email = str(item.get("email") or "").strip().lower()
            i = by_key.pop(email, None)
            if i is not None:
                err_rows.append((i, str(item.get("reason") or "rejected by the server")))
        rest = sorted(by_key.values())
        ok = created + restored
        hidden_dup = max(n_dup - len(dup_rows), 0)
        hidden_err = max(n_err - len(err_rows), 0)

        # A server whose counts do not add up to the request still leaves every row accounted.
        missing = min(n - (ok + n_dup + n_err), len(rest))
        if missing > 0:
            self.server_errors += missing
            for i in rest[-missing:]:
                self._row(batch, i, "not mentioned in the server's answer", ERROR)
            rest = rest[:-missing]

        def duplicate(i: int) -> None:
            # A row whose earlier sending got no answer is most likely a duplicate of itself.
            ours = reply.ambiguous or (batch.files[i], batch.rows[i]) in self.uncertain
            self.retry_duplicates += ours
            self._row(batch, i, RETRY_DUPLICATE_REASON if ours else DUPLICATE_REASON, DUPLICATE)

        for i in dup_rows:
            duplicate(i)
        for i, why in err_rows:
            self._row(batch, i, f"refused by the server: {why}", ERROR)

        # Rows the lists do not name: all imported when the counts say so, all duplicates
        # (or all errors) when nothing else is left; otherwise they cannot be told apart.
        if hidden_dup or hidden_err:
            if ok == 0 and hidden_err == 0:
                for i in rest:
                    duplicate(i)
            elif ok == 0 and hidden_dup == 0:
                for i in rest:
                    self._row(batch, i, "refused by the server (reason not listed)", ERROR)
            else:
                for i in rest:
                    self._row(batch, i, UNRESOLVED_REASON, UNRESOLVED)
        self.created += created
        self.restored += restored
        self.server_duplicates += n_dup
        self.server_errors += n_err

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
        return ImportReport(
            dry_run=self.dry_run,
            sandbox=self.sandbox,
            rows_read=self.rows_read,
            valid=self.valid,
            invalid=self.invalid,
            local_duplicates=self.local_duplicates,
            created=self.created,
            restored=self.restored,
            duplicates=self.local_duplicates + self.server_duplicates,
            errors=self.invalid + self.server_errors,
            not_sent=self.not_sent,
            requests=self.requests,
            retries=self.retries,
            rate_limited=self.rate_limited,
            elapsed_seconds=elapsed,
            details=details,
            files=self.files,
            retry_duplicates=self.retry_duplicates,
            stopped_because=stopped_because,
            complete=complete,
            previous=self.previous,
            skipped=self.skipped,
        )


RowReader = Callable[[set[int]], Iterator[tuple[int, list[str]]]]


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
    yields ``(row number, cells)`` for the row numbers asked for, in row order. Files with
    different headers share one CSV whose header is the union of theirs in first-seen order,
    with a leading ``file`` column when several files are involved. Every cell is neutralised
    against formula injection. Returns the number of rows written.
    """
    wanted = report.rejected_rows()
    involved = [(f, h, r) for f, h, r in sources if wanted.get(f)]
    union: list[tuple[str, int]] = []
    for _, headers, _ in involved:
        union += [slot for slot in _header_slots(headers) if slot not in union]
    with_file = len(involved) > 1
    written = 0
    with open_private(path) as out:
        writer = csv.writer(out)
        # Rows longer than their header (the reader's LONG_ROW_REASON) keep the surplus cells
        # in one more column, so the person fixing them loses nothing.
        long_rows = any(
            why.startswith(LONG_ROW_PREFIX) for f, _, _ in involved for why in wanted[f].values()
        )
        extra = [EXTRA_CELLS_HEADER] if long_rows else []
        head = (["file"] if with_file else []) + [h for h, _ in union] + extra + ["row", "reason"]
        writer.writerow([neutralise_formula(h) for h in head])
        for file, headers, read_rows in involved:
            reasons = wanted[file]
            positions = [union.index(slot) for slot in _header_slots(headers)]
            for row, cells in read_rows(set(reasons)):
                line = [""] * len(union)
                for pos, value in zip(positions, cells):
                    line[pos] = value or ""
                if long_rows:
                    line.append(
                        EXTRA_CELLS_SEPARATOR.join(v or "" for v in cells[len(positions) :])
                    )
                writer.writerow(
                    [neutralise_formula(v) for v in ([file] if with_file else []) + line]
                    + [str(row), neutralise_formula(reasons[row])]
                )
                written += 1
    return written
