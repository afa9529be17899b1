"""What the MAP stage decides for one file: :class:`Mapping`, a :class:`ColumnMap` per column,
the :class:`Decision` records a saved mapping replays, and the opt-out columns."""

from __future__ import annotations

from dataclasses import dataclass

from foxreach_cli.errors import NoEmailColumnError
from foxreach_cli.hygiene.verdicts import VERDICT_KINDS as VERDICT_DECISION_KINDS
from foxreach_cli.hygiene.verdicts import VerdictColumn

from .evidence import OptOutKind, OptOutStatus, Source
from .targets import EMAIL, Target


@dataclass(frozen=True)
class ColumnMap:
    """The decision for one input column."""

    header: str  # as written in the file
    column: str  # the frame key (``SourceInfo.columns``)
    target: Target
    how: str  # why, for a person (rendered by ``evidence.describe``)
    source: Source  # the rule that decided


@dataclass(frozen=True)
class OptOutColumn:
    """One column that can say a lead opted out, and how to read it (plain data: a saved
    mapping replays it)."""

    header: str  # as written in the file
    column: str  # the frame key
    kind: OptOutKind
    #: What a yes means for "flag" and "when", a no for "subscription" and for "permission"
    #: under --consent-required; None for "status" (each cell says which) and "permission".
    means: OptOutStatus | None
    how: str  # the evidence, for a person


#: The kind of :class:`Decision` that splits a full-name column into firstName and lastName
#: (a file with no first/last name columns); the column itself keeps its own target.
SPLIT_NAME = "split_name"
#: The kind of :class:`Decision` naming the other columns that hold the lead's own address,
#: strongest first (:attr:`Mapping.email_fallbacks`).
EMAIL_FALLBACK = "email_fallback"
#: Kinds of :class:`Decision` naming the columns read for opt-outs on every row, one per way
#: of reading them (:class:`OptOutColumn` ``kind`` and ``means``).
OPT_OUT_KINDS: dict[str, tuple[OptOutKind, OptOutStatus | None]] = {
    "opt_out_flag_unsubscribed": ("flag", "unsubscribed"),
    "opt_out_flag_bounced": ("flag", "bounced"),
    "opt_out_when_unsubscribed": ("when", "unsubscribed"),
    "opt_out_when_bounced": ("when", "bounced"),
    "opt_out_status": ("status", None),
    "opt_out_subscription": ("subscription", "unsubscribed"),
    # A no unsubscribes only under --consent-required, an option of the run, not of the file.
    "consent_permission": ("permission", None),
}
#: Kinds of :class:`Decision` naming the columns of a verification service's verdicts, one per
#: service (``verdict_zerobounce`` -> ``ZeroBounce``): read by the hygiene step, never the status.
VERDICT_KINDS: dict[str, str] = VERDICT_DECISION_KINDS


@dataclass(frozen=True)
class Decision:
    """A mapping decision beyond one column's target, with its evidence for a person.

    Mapping files record every decision under ``[decisions.<kind>]`` and replay it as made
    (:mod:`foxreach_cli.mapping_file`), so content rules cannot decide differently on a later
    file. ``columns`` are frame keys (``SourceInfo.columns``).
    """

    kind: str
    columns: tuple[str, ...]
    evidence: str


@dataclass(frozen=True)
class Mapping:
    """How every column of one input file maps to lead fields (in column order)."""

    columns: tuple[ColumnMap, ...]
    #: Columns read on every row for an opt-out or a bounce, whatever their target
    #: (:mod:`foxreach_cli.optouts`).
    opt_outs: tuple[OptOutColumn, ...] = ()
    #: Frame keys of the other columns that hold the lead's own address, in order of rank:
    #: where the email column's cell is empty, the first of them that is filled is the email.
    email_fallbacks: tuple[str, ...] = ()
    #: One sentence per status-like or opt-out column: what was decided and why.
    notes: tuple[str, ...] = ()
    #: Those of :attr:`notes` about a status-like column NOT used for the status (shown
    #: even under ``-q``).
    warnings: tuple[str, ...] = ()
    decisions: tuple[Decision, ...] = ()
    #: Columns of a verification service's verdicts (``hygiene.verdicts``), found before any
    #: status detection; the hygiene step leaves out rows whose verdict says invalid.
    verdicts: tuple[VerdictColumn, ...] = ()
    #: Frame keys of the columns never scanned for a cell that is an opt-out word: who the
    #: lead is (a person's or company's name, title, email, phone, website, LinkedIn, by target
    #: or by header), another channel's consent (``Do Not Call``), and those --map ignores.
    not_scanned: tuple[str, ...] = ()

    def decided(self, kind: str) -> Decision | None:
        """The decision of ``kind``, or None when none was made."""
        return next((d for d in self.decisions if d.kind == kind), None)

    @property
    def split_name(self) -> str | None:
        """Frame key of the full-name column to split into firstName and lastName, if any."""
        split = self.decided(SPLIT_NAME)
        return split.columns[0] if split is not None else None

    @property
    def email_column(self) -> str:
        """The frame key of the column that holds the email."""
        for cm in self.columns:
            if cm.target == EMAIL:
                return cm.column
        raise NoEmailColumnError(
            "The mapping has no email column; name one with --map 'Column=email'."
        )

    def field_columns(self) -> dict[str, str]:
        """Lead field -> frame key, for every single-valued field that has a column."""
        return {cm.target.name: cm.column for cm in self.columns if cm.target.kind == "field"}

    def custom_columns(self) -> list[tuple[str, str]]:
        """(customFields key, frame key) pairs, in column order; keys are unique."""
        return [(cm.target.name, cm.column) for cm in self.columns if cm.target.kind == "custom"]

    def tag_columns(self) -> list[str]:
        """Frame keys of the columns whose cells are tag lists."""
        return [cm.column for cm in self.columns if cm.target.kind == "tags"]


def mapping_rows(mapping: Mapping) -> list[dict[str, str]]:
    """The mapping as plain rows (column, field, how, source) for the report and ``map``."""
    return [
        {"column": c.header, "field": str(c.target), "how": c.how, "source": c.source.value}
        for c in mapping.columns
    ]


@dataclass(frozen=True)
class MappingFile:
    """A saved mapping (``foxreach map FILE --write mapping.toml``)."""

    columns: dict[str, Target]  # header (or column key for repeated headers) -> target
    headers: tuple[str, ...] | None  # the headers it was made from, for drift detection
    path: str
    #: kind -> (columns named as in ``columns``, evidence) of each recorded :class:`Decision`;
    #: None for a file without a ``[decisions]`` table (older or hand-written: the decisions
    #: are then made as without a mapping file).
    decisions: dict[str, tuple[tuple[str, ...], str]] | None = None
