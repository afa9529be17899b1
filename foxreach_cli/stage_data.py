"""The plain data that flows between the pipeline's stages.

read -> map -> validate -> dedup -> batch -> send -> report

Every stage takes and returns these types; none of them prints.
"""

from __future__ import annotations

from dataclasses import Field, dataclass, field, fields
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    # Types only: the commands that read no file (--help, config, runs) never load pandas.
    import numpy as np
    import pandas as pd

    from .reasons import Rejection

#: Lead fields of ``POST /leads/import`` that hold one string each (docs/api.md).
LEAD_FIELDS: tuple[str, ...] = (
    "email",
    "firstName",
    "lastName",
    "company",
    "title",
    "phone",
    "linkedinUrl",
    "website",
    "notes",
    "source",
    "status",
)
#: Values the API accepts for ``status``.
LEAD_STATUSES: tuple[str, ...] = ("active", "bounced", "unsubscribed", "replied")
#: The most leads one import request may carry.
MAX_BATCH = 1000
#: The API lists at most this many duplicate emails and error details per request, so
#: batches of this size name every row (``--exact-report``).
SERVER_LIST_CAP = 100
#: A reader may add this column to a chunk's frame: a non-empty cell is the reason that row
#: could not be read as written (e.g. more cells than the header), packed by
#: ``reasons.encode_cell``; validation rejects the row with it.
ROW_ERROR_COLUMN = "\x00row_error"


@dataclass(frozen=True)
class SkippedRow:
    """A non-blank row above the header that was not read as a lead, and what it looked like."""

    row: int  # spreadsheet row number
    kind: str  # 'title', 'note', 'column names', 'text' or 'blank'
    text: str  # its cells joined with ", ", shortened


@dataclass(frozen=True)
class HeaderChoice:
    """Which row holds the column names, why, and what was skipped above it."""

    row: int  # spreadsheet row number of the header
    evidence: str  # why this row, e.g. "names the email column (Email) with addresses under it"
    skipped: tuple[SkippedRow, ...] = ()  # rows above it (blank ones counted, not listed)
    blank_above: int = 0  # blank rows above it

    def describe(self) -> str:
        """One line for ``map``, the run output and the log."""
        text = f"header on row {self.row} ({self.evidence})"
        parts = [f"{s.kind} {s.text!r}" if s.text else s.kind for s in self.skipped]
        if self.blank_above:
            parts.append(f"{self.blank_above} blank")
        if parts:
            above = "row 1" if self.row == 2 else f"rows 1-{self.row - 1}"
            text += f"; {above} skipped: " + ", ".join(parts)
        return text


@dataclass(frozen=True)
class SourceInfo:
    """What a reader found out about one input file."""

    file: str  # the path as the user gave it ('-' for stdin)
    format: str  # 'csv' or 'xlsx'
    headers: list[str]  # header cells as written (may repeat or be empty)
    columns: list[str]  # unique frame column keys, same order and length as headers
    encoding: str | None = None  # detected or given (csv only)
    delimiter: str | None = None  # detected or given (csv only)
    sheet: str | None = None  # the sheet read (xlsx only)
    header_row: int = 1  # spreadsheet row number of the header
    #: Non-empty cells of the first rows under the header, per column key: a bounded sample
    #: (``readers.header.SAMPLE_ROWS`` rows) for value-aware mapping, read with the header.
    samples: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)
    #: How the header row was chosen and what was skipped above it (``readers.header``).
    header_choice: HeaderChoice | None = field(default=None, compare=False)
    #: What the reader decided that the user should hear about (a name that disagrees with
    #: the content, number formats shown as General), one sentence each; readers may add to
    #: it while their chunks are read.
    notes: list[str] = field(default_factory=list, compare=False, repr=False)
    #: The file as the user named it when ``file`` names one sheet of it (``book.xlsx [Q2]``,
    #: ``--sheet all``); None otherwise.
    origin: str | None = None


@dataclass(frozen=True)
class Chunk:
    """A slice of one input file as read: raw text cells and their spreadsheet row numbers.

    ``frame`` has one column per ``SourceInfo.columns`` key; every cell is a ``str`` or
    missing (None/NaN), never an inferred number or date. ``rows[i]`` is the row number a
    person sees in a spreadsheet for ``frame.iloc[i]`` (the header is row 1).
    """

    file: str
    frame: pd.DataFrame
    rows: np.ndarray  # int64


@dataclass
class Batch:
    """Leads ready to send in one import request (at most ``MAX_BATCH``).

    The leads are kept as their JSON encoding, one ``bytes`` for the whole batch (the objects
    joined by commas): a third of the memory of the lead dicts, which matters with a hundred
    batches in flight. A request for some of them (a 422 or 402 being split) decodes the
    batch once and encodes the part asked for.
    """

    seq: int
    files: list[str] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)  # as sent in each lead
    body: bytes = b""  # the leads' JSON objects, comma-joined
    #: Item -> status of the leads that opt out (unsubscribed, bounced): should the server
    #: find one in the workspace already, the lead there is updated (optout_updates.py).
    opted_out: dict[int, str] = field(default_factory=dict)
    _decoded: list[Any] | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.rows)

    @classmethod
    def of(
        cls,
        seq: int,
        files: list[str],
        rows: list[int],
        emails: list[str],
        leads: list[dict[str, Any]],
    ) -> Batch:
        """A batch of lead objects, encoded."""
        return cls(seq=seq, files=files, rows=rows, emails=emails, body=orjson.dumps(leads)[1:-1])

    def payload(self, indices: list[int] | None = None) -> bytes:
        """The comma-joined JSON objects of the leads at ``indices`` (all when None)."""
        if indices is None or len(indices) == len(self.rows):
            return self.body
        if self._decoded is None:
            self._decoded = orjson.loads(b"[" + self.body + b"]")
        leads = self._decoded
        return orjson.dumps([leads[i] for i in indices])[1:-1]


@dataclass
class Reply:
    """One 200 answer of ``/leads/import`` and which items of the batch it covered."""

    indices: list[int]  # positions in the Batch this request carried
    data: dict[str, Any]  # the response's "data" object, as the server sent it
    # True when this request was a resend after a failure that may have been processed
    # (timeout or connection dropped after sending): its duplicates may be our own rows.
    ambiguous: bool = False


@dataclass
class BatchResult:
    """Everything the sender learned about one batch, after retries and bisection.

    Every index of the batch appears in exactly one of: a reply's ``indices``,
    ``rejected`` or ``not_sent``.
    """

    replies: list[Reply] = field(default_factory=list)
    # Items the server refused with 422 once isolated by bisection: (index, server's reason).
    rejected: list[tuple[int, str]] = field(default_factory=list)
    # Items never imported (402 plan limit, 403, retries exhausted, interrupted): index -> reason.
    not_sent: dict[int, Rejection] = field(default_factory=dict)
    requests: int = 0  # HTTP requests made for this batch, retries included
    retries: int = 0  # of which retries (429, 5xx, timeouts, dropped connections)
    rate_limited: int = 0  # 429 answers received


# -- what became of rows ----------------------------------------------------------------------

#: Kinds of per-row detail the report keeps (and the journal stores). ``excluded``: left out
#: by a hygiene rule (foxreach_cli.hygiene: a suppression list, a domain check, a role or
#: disposable address with --skip-role/--skip-disposable, the source's verdict).
INVALID, DUPLICATE, ERROR, NOT_SENT, UNRESOLVED, EXCLUDED = (
    "invalid",
    "duplicate",
    "error",
    "notSent",
    "unresolved",
    "excluded",
)
#: Journal kind of rows the server imported (created or restored: it does not say which).
IMPORTED = "imported"


#: One row's fate in the journal: (kind, email, reason code, reason parameters).
RowFate = tuple[str, str, str, tuple[str, ...]]


@dataclass(frozen=True)
class BatchOutcome:
    """What became of one batch: the server's counts (:meth:`Tally.answered`) and each row's
    fate; rows with no entry have an unknown fate."""

    counts: Tally
    rows: dict[int, RowFate] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Tally:
    """The counts, in one schema: every stage result's, a batch outcome's, the run's and each
    file's, the journal's and ``foxreach runs``'. The report's fold adds each stage's counts
    once (``+``); the report and the progress display both read the run's.

    Local stages: ``rows_read == valid + invalid + local_duplicates`` (``valid`` counts the
    unique valid rows, excluded ones included). The outcome buckets:
    ``rows_read == created + restored + duplicates + errors + excluded + not_sent`` once every
    row is settled; before that, their sum is the rows settled so far (:attr:`settled`).

    A new count is one more field: ``+``, :meth:`to_json` and :meth:`from_json` follow the
    fields (its JSON key is the field's name in camelCase unless its metadata names one).
    """

    rows_read: int = 0
    valid: int = 0
    invalid: int = 0
    local_duplicates: int = 0
    created: int = 0
    restored: int = 0
    server_duplicates: int = 0
    server_errors: int = 0
    not_sent: int = 0
    excluded: int = 0  # left out by a hygiene rule (never sent; not an error)
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    batches: int = 0
    #: Server duplicates that were probably our own earlier attempt's leads.
    retry_duplicates: int = field(default=0, metadata={"json": "duplicatesFromRetries"})
    #: Duplicates whose opt-out was carried to the lead kept (counted among the duplicates).
    opt_outs_carried: int = 0
    #: Leads in the workspace updated to an opt-out (PATCH; a dry run: those it would check).
    opt_out_updates: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(*(getattr(self, name) + getattr(other, name) for name in _TALLY_FIELDS))

    def __bool__(self) -> bool:
        return any(getattr(self, name) for name in _TALLY_FIELDS)

    @property
    def duplicates(self) -> int:
        """Merged duplicates: in the input plus already in the workspace."""
        return self.local_duplicates + self.server_duplicates

    @property
    def errors(self) -> int:
        """Merged errors: invalid locally plus refused by the server."""
        return self.invalid + self.server_errors

    @property
    def settled(self) -> int:
        """Rows whose fate is known so far (every bucket of the accounting identity)."""
        return (
            self.created
            + self.restored
            + self.duplicates
            + self.errors
            + self.excluded
            + self.not_sent
        )

    def answered(self) -> Tally:
        """Only what the server said: created, restored, its duplicates and its errors (a
        batch outcome's counts, and earlier runs' in the report's ``previousRuns``)."""
        return Tally(
            created=self.created,
            restored=self.restored,
            server_duplicates=self.server_duplicates,
            server_errors=self.server_errors,
        )

    def to_json(self) -> dict[str, int]:
        """Every count by its JSON key, as the journal stores it."""
        return {key: getattr(self, name) for name, key in _TALLY_KEYS}

    @classmethod
    def from_json(cls, data: object) -> Tally:
        """The counts :meth:`to_json` wrote, or the previous version's: a batch outcome's
        ``[created, restored, duplicates, errors]``, or a summary whose ``duplicates`` and
        ``errors`` are the merged totals (read as the server's, so the totals are kept).
        Keys it does not know (a later version's counts) are ignored; anything else raises
        ValueError."""
        if isinstance(data, list):
            if len(data) != 4:
                raise ValueError("a stored list of counts does not hold four")
            data = dict(zip(("created", "restored", "serverDuplicates", "serverErrors"), data))
        if not isinstance(data, dict):
            raise ValueError("stored counts are not a JSON object")
        if not all(type(v) is int for v in data.values()):
            raise ValueError("a stored count is not a whole number")
        counts = {name: data[key] for name, key in _TALLY_KEYS if key in data}
        for merged, name in _MERGED:
            if merged in data and name not in counts:
                counts[name] = data[merged]
        return cls(**counts)


def _json_key(f: Field[int]) -> str:
    head, *rest = f.name.split("_")
    return str(f.metadata.get("json", head + "".join(w.title() for w in rest)))


_TALLY_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Tally))
_TALLY_KEYS: tuple[tuple[str, str], ...] = tuple((f.name, _json_key(f)) for f in fields(Tally))
#: The merged totals the previous version's summaries stored, and the field each is read as.
_MERGED = (("duplicates", "server_duplicates"), ("errors", "server_errors"))
