"""The REPORT stage: one fold turns every stage's frozen result into the :class:`ImportReport`.

Every input row ends in exactly one bucket::

    rowsRead == created + restored + duplicates + errors + excluded + notSent

``duplicates`` and ``errors`` are merged totals (local + server); ``excluded`` are the rows a
hygiene rule left out before sending (:mod:`foxreach_cli.hygiene`, applied by the pipeline
after dedup), with their reasons in ``excludedDetails``. The stages' results are
defined here (:data:`StageResult`); what the server's answers mean row by row is worked out
in :mod:`foxreach_cli.reconcile`; the rows not imported stay compact in a
:class:`~foxreach_cli.details.DetailStore` that the report streams from; writing the report
to files is :mod:`foxreach_cli.outputs`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import Any

import numpy as np
import orjson

from .details import DISPOSABLE, ROLE, DetailPart, DetailRecord, DetailStore
from .optouts import FoundOptOut
from .reasons import CODE_IDS, ReasonCode
from .reconcile import Reconciled
from .stage_data import (
    DUPLICATE,
    ERROR,
    EXCLUDED,
    INVALID,
    NOT_SENT,
    UNRESOLVED,
    Tally,
)


@dataclass(frozen=True)
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
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    # Rows whose email column was empty, so another email column gave the email:
    # that column's header -> rows.
    email_fallbacks: dict[str, int] = field(default_factory=dict)
    # Rows that a column not read for opt-outs made unsubscribed or bounced (a cell that is
    # an opt-out word: optouts.opt_out_cells): that column's header -> those rows.
    opt_outs_found: dict[str, FoundOptOut] = field(default_factory=dict)
    # Rows whose marketing-permission cell says no: that column's header -> those rows; and
    # whether --consent-required imported them as unsubscribed.
    consent_no: dict[str, int] = field(default_factory=dict)
    consent_required: bool = False


#: The one-byte id of ``opt_out_carried`` in a detail part (counted per DedupInfo).
_CARRIED = CODE_IDS[ReasonCode.OPT_OUT_CARRIED]


# -- what each stage returns ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReadInfo:
    """READ: ``rows`` data rows of ``file`` were read (one chunk)."""

    file: str
    rows: int

    @property
    def counts(self) -> Tally:
        """What it adds to the run's counts."""
        return Tally(rows_read=self.rows)


@dataclass(frozen=True, slots=True)
class ValidateInfo:
    """VALIDATE: the rows of one chunk rejected, with their reasons."""

    file: str
    invalid: DetailPart
    #: Rows whose email cell was empty, so another email column gave the email: its header
    #: -> rows.
    email_from: dict[str, int] = field(default_factory=dict)
    #: Valid rows a column not read for opt-outs made opted out: its header -> those rows.
    opt_outs_found: dict[str, FoundOptOut] = field(default_factory=dict)
    #: Valid rows whose marketing-permission cell says no: its header -> those rows.
    consent_no: dict[str, int] = field(default_factory=dict)

    @property
    def counts(self) -> Tally:
        """What it adds to the run's counts."""
        return Tally(invalid=len(self.invalid))


@dataclass(frozen=True, slots=True)
class DedupInfo:
    """DEDUP: of one chunk's valid rows, ``unique`` are the first of their email; the others
    are ``duplicates``."""

    file: str
    unique: int
    duplicates: DetailPart

    @property
    def counts(self) -> Tally:
        """What it adds to the run's counts (duplicates whose opt-out was carried among them)."""
        carried = int(np.count_nonzero(self.duplicates.codes == _CARRIED))
        return Tally(
            valid=self.unique, local_duplicates=len(self.duplicates), opt_outs_carried=carried
        )


@dataclass(frozen=True, slots=True)
class HygieneInfo:
    """HYGIENE: of one chunk's unique valid rows, those a rule left out (kind ``excluded``),
    and the role and disposable addresses among the others (``flagged``: imported, named)."""

    file: str
    excluded: DetailPart
    flagged: DetailPart | None = None

    @property
    def counts(self) -> Tally:
        """What it adds to the run's counts."""
        return Tally(excluded=len(self.excluded))


@dataclass(frozen=True, slots=True)
class UnsentInfo:
    """Valid rows that will not be sent: with ``details`` when they need a person (a stopped
    run), by count only when nothing is wrong with them (a dry run)."""

    file: str
    rows: int
    details: DetailPart | None = None

    @property
    def counts(self) -> Tally:
        """What it adds to the run's counts."""
        return Tally(not_sent=self.rows)


@dataclass(frozen=True, slots=True)
class SendInfo:
    """SEND + RECONCILE: one batch's requests and what its answers mean."""

    file: str
    requests: int
    retries: int
    rate_limited: int
    reconciled: Reconciled

    @property
    def counts(self) -> Tally:
        """What it adds to the run's counts: the requests, and what the answers mean."""
        sent = Tally(
            requests=self.requests,
            retries=self.retries,
            rate_limited=self.rate_limited,
            batches=1,
        )
        return sent + self.reconciled.counts


@dataclass(frozen=True, slots=True)
class HistoryInfo:
    """What earlier runs did to a file (:mod:`foxreach_cli.resume`): a resume, or, when the
    file was imported fully before (``reproduced``), the report of that import."""

    file: str
    reproduced: bool
    imported_at: str | None
    #: What it adds to the run's counts: the server's counts of the batches answered before,
    #: their retry duplicates, the rows excluded before and, when reproduced, the finished
    #: import's requests, retries, 429 answers and batches.
    counts: Tally
    details: DetailPart  # their rows not imported


@dataclass(frozen=True, slots=True)
class OptOutUpdateInfo:
    """OPT-OUT UPDATES (:mod:`foxreach_cli.optout_updates`): what became of the opt-out of
    ``row`` of ``file`` for the lead with ``email`` already in the workspace. ``outcome`` is
    one of ``updated``, ``alreadyOptedOut``, ``notInWorkspace``, ``notDone`` (``reason``
    says why) and, in a dry run, ``wouldCheck``; ``before`` is the lead's status when found;
    ``earlier``: done by an earlier run of the file (the journal)."""

    file: str
    row: int
    email: str
    status: str
    outcome: str
    before: str | None = None
    reason: str = ""
    earlier: bool = False
    requests: int = 0  # this run's requests for it (look-up and update), retries included
    retries: int = 0
    rate_limited: int = 0

    @property
    def counts(self) -> Tally:
        """What it adds to the run's counts: its requests, and one lead updated (or, in a
        dry run, to check) when it was (the fold takes back a replaced outcome's)."""
        updated = int(self.outcome in UPDATE_COUNTED)
        return Tally(
            requests=self.requests,
            retries=self.retries,
            rate_limited=self.rate_limited,
            opt_out_updates=updated,
        )

    def to_dict(self) -> dict[str, Any]:
        """The entry of the JSON report's ``optOutUpdateDetails``."""
        entry: dict[str, Any] = {
            "file": self.file,
            "row": self.row,
            "email": self.email,
            "status": self.status,
            "outcome": self.outcome,
        }
        if self.before is not None:
            entry["statusBefore"] = self.before
        if self.reason:
            entry["reason"] = self.reason
        if self.earlier:
            entry["earlierRun"] = True
        return entry


#: The outcomes of opt-out updates that count as a lead updated (a dry run: to be checked).
UPDATE_COUNTED = ("updated", "wouldCheck")

StageResult = (
    ReadInfo
    | ValidateInfo
    | DedupInfo
    | HygieneInfo
    | UnsentInfo
    | SendInfo
    | HistoryInfo
    | OptOutUpdateInfo
)


@dataclass(frozen=True)
class HygieneSummary:
    """What the hygiene rules of a run saw (``hygiene.HygieneCounts`` and the rules in use);
    the rows they left out are in the detail store (kind ``excluded``)."""

    lists: tuple[tuple[str, int], ...] = ()  # (path, entries) of each suppression list
    check_domains: bool = False
    verdict_columns: tuple[str, ...] = ()  # "file: header (service)"
    role_seen: int = 0
    disposable_seen: int = 0
    verdicts_seen: tuple[tuple[str, str, int], ...] = ()  # (column, value, rows) that decide
    domains_checked: int = 0
    domains_unchecked: int = 0
    rows_unchecked: int = 0

    @property
    def applied(self) -> bool:
        """Whether a list, the domain check or a verdict column was in use (the step runs on
        every run; role and disposable addresses are always counted)."""
        return bool(self.lists or self.check_domains or self.verdict_columns)


# -- the report ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportReport:
    """The final report of one run (the JSON of ``--report`` and ``--json``).

    The counts are the run's :class:`Tally`; the rows not imported stay in ``details``, a
    compact store read back one record at a time when the report is rendered.
    """

    dry_run: bool
    tally: Tally
    elapsed_seconds: float
    details: DetailStore
    files: tuple[FileSummary, ...] = ()
    by_file: dict[str, Tally] = field(default_factory=dict)  # the same counters, per file
    stopped_because: str | None = None
    complete: bool = True
    sandbox: bool = False
    previous: Tally = field(default_factory=Tally)  # what the server said to earlier runs
    hygiene: HygieneSummary = field(default_factory=HygieneSummary)
    #: Role and disposable addresses that were not left out (kinds ``role``, ``disposable``).
    flagged: DetailStore = field(default_factory=DetailStore)
    #: ``import --campaign``: what the enrollment did (or, for a dry run, would cost).
    campaign: dict[str, Any] | None = None
    #: Opt-outs brought to leads already in the workspace, in file and row order.
    opt_out_updates: tuple[OptOutUpdateInfo, ...] = ()

    @property
    def opt_out_updates_not_done(self) -> set[str]:
        """The files whose opt-out updates are not all done (they are not finished)."""
        return {u.file for u in self.opt_out_updates if u.outcome == "notDone"}

    @property
    def excluded_by_rule(self) -> dict[ReasonCode, int]:
        """Rows left out per reason code (this run's and, for a resumed or reproduced file,
        those the journal recorded)."""
        return self.details.codes(EXCLUDED)

    def hygiene_dict(self) -> dict[str, Any]:
        """The ``hygiene`` object of the JSON report: the counts the dry run prints."""
        h = self.hygiene
        return {
            "lists": [{"path": path, "entries": n} for path, n in h.lists],
            "checkDomains": h.check_domains,
            "verdictColumns": list(h.verdict_columns),
            "excluded": self.tally.excluded,
            "excludedByRule": self.excluded_by_rule,
            "role": h.role_seen,
            "disposable": h.disposable_seen,
            "sourceVerdicts": [{"column": c, "value": v, "rows": n} for c, v, n in h.verdicts_seen],
            "domainsChecked": h.domains_checked,
            "domainsUnchecked": h.domains_unchecked,
            "rowsUnchecked": h.rows_unchecked,
        }

    @property
    def reproduced(self) -> bool:
        """Whether every file had been imported before, so this report was reproduced."""
        read = [f for f in self.files if not f.refused]
        return bool(read) and all(f.imported_at for f in read)

    @property
    def unresolved(self) -> int:
        """Rows whose fate the server's capped lists do not reveal."""
        return self.details.count(UNRESOLVED)

    def records(self, *kinds: str) -> Iterator[DetailRecord]:
        """The rows not imported (of ``kinds``, or all), in file and row order."""
        return self.details.records(kinds or None, order=[f.file for f in self.files])

    def _emails(self, *kinds: str) -> Iterator[str]:
        """The emails of :meth:`records`, without making the records."""
        return self.details.emails(kinds or None, order=[f.file for f in self.files])

    def _entries(self, *kinds: str) -> Iterator[dict[str, Any]]:
        # From the store's columns: a record per row cost as much as the entry itself.
        for c in self.details.columns(kinds or None, order=[f.file for f in self.files]):
            file = c.file
            for row, email, code, params, reason in zip(
                c.rows, c.emails, c.codes, c.params, c.reasons(), strict=True
            ):
                yield {
                    "file": file,
                    "row": row,
                    "email": email,
                    "code": code,
                    "reason": reason,
                    "params": code.named(params),
                }

    def _excluded_entries(self) -> Iterator[dict[str, Any]]:
        # The parameters are also at the entry's top level, as they were before every
        # entry had ``params`` (docs/hygiene.md).
        for d in self.records(EXCLUDED):
            named = d.code.named(d.params)
            yield {
                "file": d.file,
                "row": d.row,
                "email": d.email,
                "code": d.code,
                "reason": d.text,
                "params": named,
                **named,
            }

    def _flagged_entries(self, kind: str) -> Iterator[dict[str, Any]]:
        order = [f.file for f in self.files]
        for d in self.flagged.records([kind], order=order):
            yield {"file": d.file, "row": d.row, "email": d.email, **d.code.named(d.params)}

    def _fields(self) -> Iterator[tuple[str, Any]]:
        """The report's keys in order; the long lists as iterators."""
        t = self.tally
        yield from (
            ("dryRun", self.dry_run),
            ("sandbox", self.sandbox),
            ("complete", self.complete),
            ("stoppedBecause", self.stopped_because),
            ("rowsRead", t.rows_read),
            ("valid", t.valid),
            ("invalid", t.invalid),
            ("localDuplicates", t.local_duplicates),
            ("created", t.created),
            ("restored", t.restored),
            ("duplicates", t.duplicates),
            ("errors", t.errors),
            ("excluded", t.excluded),
            ("notSent", t.not_sent),
            ("unresolved", self.unresolved),
            ("duplicatesFromRetries", t.retry_duplicates),
            ("optOutsCarried", t.opt_outs_carried),
            ("optOutUpdates", t.opt_out_updates),
            ("duplicateEmails", (e for e in self._emails(DUPLICATE) if e)),
            ("duplicateDetails", self._entries(DUPLICATE)),
            ("errorDetails", self._entries(INVALID, ERROR)),
            ("unresolvedRows", self._entries(UNRESOLVED)),
            ("excludedDetails", self._excluded_entries()),
            ("hygiene", self.hygiene_dict()),
            ("roleAddresses", self._flagged_entries(ROLE)),
            ("disposableAddresses", self._flagged_entries(DISPOSABLE)),
            ("notSentReasons", dict(Counter(d.text for d in self.records(NOT_SENT)))),
            ("optOutUpdateDetails", [u.to_dict() for u in self.opt_out_updates]),
        )
        p = self.previous
        yield from (
            (
                "previousRuns",
                {
                    "created": p.created,
                    "restored": p.restored,
                    "duplicates": p.server_duplicates,
                    "errors": p.server_errors,
                },
            ),
            ("reproduced", self.reproduced),
            ("requests", t.requests),
            ("retries", t.retries),
            ("rateLimited", t.rate_limited),
            ("elapsedSeconds", round(self.elapsed_seconds, 3)),
            ("files", [_file_entry(f) for f in self.files]),
        )
        if self.campaign is not None:
            yield "campaign", self.campaign

    def to_dict(self) -> dict[str, Any]:
        """The report as the documented camelCase JSON object."""
        return {
            key: list(value) if isinstance(value, Iterator) else value
            for key, value in self._fields()
        }

    def iter_json(self) -> Iterator[str]:
        """The report as indented JSON text (``to_json``), piece by piece: the lists of rows
        are written a slice of rows at a time from the detail store (one orjson call each),
        so only a slice is held at once."""
        yield "{"
        for n, (key, value) in enumerate(self._fields()):
            yield ("\n  " if n == 0 else ",\n  ") + _dumps(key) + ": "
            if isinstance(value, Iterator):
                yield from _json_list(value)
            else:
                yield _dumps(value).replace("\n", "\n  ")
        yield "\n}"

    def to_json(self) -> str:
        """The report as indented JSON text."""
        return "".join(self.iter_json())


#: orjson's options for the report: two-space indentation as ``json.dumps(indent=2)`` writes
#: it; non-string keys (reason codes are a ``str`` enum) written as their value.
_JSON_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
#: Rows of a list encoded per orjson call: one C call per slice instead of one per row,
#: while only a slice of rows is held at once.
_SLICE = 512


def _dumps(value: Any) -> str:
    return orjson.dumps(value, option=_JSON_OPTIONS).decode()


def _json_list(items: Iterable[Any]) -> Iterator[str]:
    """A list inside the top-level object, as ``json.dumps(..., indent=2)`` writes it,
    encoded a slice of rows at a time."""
    it = iter(items)
    head = "[\n"
    while part := list(islice(it, _SLICE)):
        text = orjson.dumps(part, option=_JSON_OPTIONS)
        # b'[\n  {...},\n  {...}\n]': drop the brackets, indent every line two more spaces
        # (a newline inside a string is escaped, so every raw one is the layout's).
        yield head + "  " + text[2:-2].replace(b"\n", b"\n  ").decode()
        head = ",\n"
    yield "[]" if head == "[\n" else "\n  ]"


def _file_entry(f: FileSummary) -> dict[str, Any]:
    return {
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
        "mappingNotes": list(f.notes),
        "emailFallbacks": f.email_fallbacks,
        "optOutsFound": {header: found.rows for header, found in f.opt_outs_found.items()},
        "consentNo": f.consent_no,
    }


# -- the fold ------------------------------------------------------------------------------------


class ReportFold:
    """Folds the stages' results, in the order they come, into the run's counts and detail
    store; :meth:`finish` returns the report. Used from one thread only."""

    def __init__(self, files: Iterable[FileSummary], *, dry_run: bool, sandbox: bool = False):
        self.dry_run = dry_run
        self.sandbox = sandbox
        self.files = tuple(files)
        self.tally = Tally()  # the progress display reads it as the run goes
        self.by_file: dict[str, Tally] = {f.file: Tally() for f in self.files}
        self.previous = Tally()
        self.details = DetailStore()
        self.flagged = DetailStore()
        self.hygiene = HygieneSummary()  # set by the pipeline once the rules have run
        self._imported_at: dict[str, str] = {}
        self._email_from: dict[str, Counter[str]] = {}
        self._opt_outs_found: dict[str, dict[str, FoundOptOut]] = {}
        self._consent_no: dict[str, Counter[str]] = {}
        self._opt_out_updates: dict[tuple[str, int, str], OptOutUpdateInfo] = {}

    def add(self, result: StageResult) -> None:
        """Take one stage's result into the counts and the detail store."""
        if not isinstance(result, StageResult):
            raise TypeError(f"not a stage result: {result!r}")
        self._count(result.file, result.counts)
        match result:
            case ReadInfo():
                pass
            case ValidateInfo(file, invalid, email_from, opt_outs_found, consent_no):
                self.details.add(invalid)
                if email_from:
                    self._email_from.setdefault(file, Counter()).update(email_from)
                if consent_no:
                    self._consent_no.setdefault(file, Counter()).update(consent_no)
                if opt_outs_found:
                    so_far = self._opt_outs_found.setdefault(file, {})
                    for header, found in opt_outs_found.items():
                        before = so_far.get(header)
                        so_far[header] = found if before is None else before.plus(found)
            case DedupInfo(_, _, duplicates):
                self.details.add(duplicates)
            case OptOutUpdateInfo():
                self._opt_out_update(result)
            case HygieneInfo(_, excluded, flagged):
                self.details.add(excluded)
                self.flagged.add(flagged)
            case UnsentInfo(_, _, details):
                self.details.add(details)
            case SendInfo(_, _, _, _, reconciled):
                self.details.add(reconciled.details)
            case HistoryInfo(file, reproduced, imported_at, history_counts, details):
                if imported_at is not None:
                    self._imported_at[file] = imported_at
                if not reproduced:
                    self.previous += history_counts.answered()
                self.details.add(details)

    def _count(self, file: str, counts: Tally) -> None:
        self.tally += counts
        self.by_file[file] = self.by_file.get(file, Tally()) + counts

    def _opt_out_update(self, u: OptOutUpdateInfo) -> None:
        """One update's outcome; a later outcome of the same update replaces an earlier one
        (a resumed update), counted once (its ``counts`` are added by :meth:`add`)."""
        at = (u.file, u.row, u.email.lower())
        before = self._opt_out_updates.get(at)
        if before is not None and before.outcome in UPDATE_COUNTED:
            self._count(before.file, Tally(opt_out_updates=-1))
        self._opt_out_updates[at] = u

    def finish(
        self, *, elapsed: float, stopped_because: str | None = None, complete: bool = True
    ) -> ImportReport:
        """The final report."""
        files = tuple(
            f
            if f.refused
            else replace(
                f,
                rows_read=self.by_file[f.file].rows_read,
                imported_at=self._imported_at.get(f.file),
                email_fallbacks=dict(self._email_from.get(f.file, {})),
                opt_outs_found=dict(self._opt_outs_found.get(f.file, {})),
                consent_no=dict(self._consent_no.get(f.file, {})),
            )
            for f in self.files
        )
        return ImportReport(
            dry_run=self.dry_run,
            sandbox=self.sandbox,
            tally=self.tally,
            elapsed_seconds=elapsed,
            details=self.details,
            files=files,
            by_file=dict(self.by_file),
            stopped_because=stopped_because,
            complete=complete,
            previous=self.previous,
            hygiene=self.hygiene,
            flagged=self.flagged,
            opt_out_updates=self._updates_in_order(),
        )

    def _updates_in_order(self) -> tuple[OptOutUpdateInfo, ...]:
        rank = {f.file: n for n, f in enumerate(self.files)}
        return tuple(
            sorted(self._opt_out_updates.values(), key=lambda u: (rank.get(u.file, 0), u.row))
        )
