"""Why a column went where it went: the rule that decided (:class:`Source`) and typed evidence,
and the one place they become the text a person reads (:func:`describe`, the ``*_note``
sentences). The code decides on the sources and evidence, never on the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal

from foxreach_cli.stage_data import LEAD_STATUSES

from .values import Fit

#: How an opt-out column is read: a yes/no ``flag`` (a yes opts out), a ``when`` (any value
#: opts out), a ``status``-like column (a cell that is an opt-out word), a ``subscription``
#: state (a no unsubscribes) or a marketing ``permission`` (a no is counted, and unsubscribes
#: only under --consent-required).
OptOutKind = Literal["flag", "when", "status", "subscription", "permission"]
OptOutStatus = Literal["unsubscribed", "bounced"]


class Source(Enum):
    """The rule that gave a column its target."""

    MAP_OPTION = "map_option"  # --map "Column=field"
    MAPPING_FILE = "mapping_file"  # a saved mapping's [columns]
    FIELD_NAME = "field_name"  # the header is a lead field's name
    SYNONYM = "synonym"  # the header is one the lexicon lists for a field
    HEADER_WORDS = "header_words"  # the header's words name a field
    FAMILY_NAME = "family_name"  # a bare "Name" beside a first-name column
    GIVEN_NAME = "given_name"  # a bare "Nombre" beside a family-name column
    CONTENT = "content"  # its values are mostly addresses or profiles, whatever the header
    STATUS_BY_HEADER = "status_by_header"  # a status-like header whose values are statuses
    STATUS_BY_VALUES = "status_by_values"  # values that are lead statuses
    VERDICTS = "verdicts"  # a verification service's verdicts: custom, read by hygiene
    UNRECOGNISED = "unrecognised"  # the --unmapped policy
    NO_HEADER = "no_header"  # an empty header: custom field "column N"
    VALUES_CONTRADICT = "values_contradict"  # the header names a field its values do not fit
    NAME_PREFIXES = "name_prefixes"  # a "Title" of Mr./Ms.
    NOT_STATUSES = "not_statuses"  # a "Status" whose values are not lead statuses
    SECOND_COLUMN = "second_column"  # lost a clash for a single-valued field

    @property
    def went_by_values(self) -> bool:
        """The column's values kept it from the field its header names (a "Title" of
        Mr./Ms., a "Status" of other words): said even when the mapping table is not shown."""
        return self in (Source.NAME_PREFIXES, Source.NOT_STATUSES)


# --- what a source rests on ------------------------------------------------------------------


@dataclass(frozen=True)
class Spelling:
    """The listed header (SYNONYM) or the words (HEADER_WORDS) a header matched."""

    text: str


@dataclass(frozen=True)
class KeptAs:
    """The --unmapped policy applied (UNRECOGNISED), or the key an empty header got."""

    ignored: bool = False
    key: str = ""


@dataclass(frozen=True)
class Beside:
    """The column a claim was made beside or lost to (FAMILY_NAME, SECOND_COLUMN)."""

    header: str
    field: str = ""


@dataclass(frozen=True)
class VerdictFound:
    """A verification service's verdict column (VERDICTS)."""

    service: str
    evidence: str


@dataclass(frozen=True)
class ValueFit:
    """How many sampled values fit what the field holds (CONTENT, VALUES_CONTRADICT, and
    as added evidence)."""

    fit: Fit
    what: str  # "email addresses"
    field: str = ""
    #: Said as a doubt ("but values such as ... are not ..."): the claim stands for now.
    doubt: bool = False


@dataclass(frozen=True)
class StatusValues:
    """What a status-like column's sampled values say."""

    fit: Fit  # lead statuses (or their translations, or opt-out words) among the values
    translated: tuple[str, ...]  # "cleaned -> bounced" pairs
    kinds: frozenset[str] = frozenset()  # the distinct lead statuses they mean
    key: str = ""  # the column, for the --map hint of NOT_STATUSES


# --- evidence added to a claim ---------------------------------------------------------------


@dataclass(frozen=True)
class ChosenOver:
    """The claim won a clash for ``field`` over ``losers``."""

    field: str
    losers: tuple[str, ...]
    empty: tuple[str, ...]  # losers of stronger rank that were empty in the rows looked at
    misfit: tuple[str, ...]  # losers whose values are not addresses


@dataclass(frozen=True)
class OptOutRead:
    """The column is read for opt-outs on every row."""

    kind: OptOutKind
    #: What a yes means for "flag" and "when", a no for "subscription" and (under
    #: --consent-required) "permission"; None for "status" (each cell says) and "permission".
    means: OptOutStatus | None
    fit: Fit | None = None  # of a flag or consent column: the yes/no values sampled
    recorded_in: str = ""  # replayed from this mapping file
    #: The lexicon's consent kind its header named ("do_not_email", ...), "" for none.
    consent: str = ""
    no: int = 0  # of a permission column: sampled values that say no


@dataclass(frozen=True)
class NotRead:
    """A column that would be read for opt-outs, and is not: --map 'Column=ignore'."""

    key: str
    would: OptOutRead


@dataclass(frozen=True)
class EmailFallback:
    """Used as the email where the email column's cell is empty."""

    email_header: str


@dataclass(frozen=True)
class NameSplit:
    """Split (or not) into firstName and lastName, with the share of sampled names."""

    names: int
    cells: int
    split: bool = True
    recorded: str = ""  # the evidence a mapping file recorded
    recorded_in: str = ""

    @property
    def evidence(self) -> str:
        """The reason, as a mapping file records it."""
        if self.recorded_in:
            return self.recorded
        if self.cells:
            return f"{self.names} of {self.cells} sampled cells are names"
        return "the header names a full name (no sampled cells)"


@dataclass(frozen=True)
class KeyTaken:
    """The customFields key was used by a stronger column."""

    key: str
    new_key: str


Basis = Spelling | KeptAs | Beside | VerdictFound | ValueFit | StatusValues
OptOut = OptOutRead | NotRead
Evidence = ValueFit | StatusValues | ChosenOver | OptOut | EmailFallback | NameSplit | KeyTaken

_CUSTOM = "kept as custom field"


# --- the text --------------------------------------------------------------------------------


def describe(source: Source, basis: Basis | None, evidence: list[Evidence]) -> str:
    """The reason ``map``, the report and a saved mapping show for one column."""
    return "; ".join([_head(source, basis), *(_part(e) for e in evidence)])


def _head(source: Source, basis: Basis | None) -> str:
    match source, basis:
        case Source.MAP_OPTION, _:
            return "--map"
        case Source.MAPPING_FILE, _:
            return "mapping file"
        case Source.FIELD_NAME, _:
            return "field name"
        case Source.SYNONYM, Spelling(text):
            return f"synonym: '{text}'"
        case Source.HEADER_WORDS, Spelling(text):
            return f"header words: '{text}'"
        case Source.FAMILY_NAME, Beside(header):
            return f"a bare name beside the first-name column '{header}': the family name"
        case Source.GIVEN_NAME, Beside(header):
            return f"a bare name beside the family-name column '{header}': the first name"
        case Source.CONTENT, ValueFit(fit, what):
            return f"values: {fit.share(what)}"
        case Source.STATUS_BY_HEADER | Source.STATUS_BY_VALUES, StatusValues() as look:
            by = "header" if source is Source.STATUS_BY_HEADER else "values"
            return f"status by {by}: {_status_evidence(look)}"
        case Source.VERDICTS, VerdictFound(service, evidence):
            return f"{service} verdicts ({evidence}): read by the hygiene step"
        case Source.UNRECOGNISED, KeptAs(ignored=True):
            return "not recognised: ignored (--unmapped ignore)"
        case Source.UNRECOGNISED, _:
            return f"not recognised: {_CUSTOM}"
        case Source.NO_HEADER, KeptAs(key=key):
            return f"no header: {_CUSTOM} '{key}'"
        case Source.VALUES_CONTRADICT, ValueFit(fit, what, field):
            return (
                f"header says {field} but values such as '{fit.example}' are not {what} "
                f"({fit.share(what)}): {_CUSTOM}"
            )
        case Source.NAME_PREFIXES, _:
            return f"values are name prefixes (Mr., Ms., Dr.), not job titles: {_CUSTOM}"
        case Source.NOT_STATUSES, StatusValues() as look:
            share = look.fit.share("lead statuses")
            # Mostly statuses, yet not used: all of them active.
            all_active = ", all active" if look.fit.most else ""
            return (
                f"values such as '{look.fit.example or 'active'}' are not lead statuses "
                f"({', '.join(LEAD_STATUSES)}; {share}{all_active}): {_CUSTOM}; "
                f"--map '{look.key}=status' imports it anyway, rejecting rows that hold others"
            )
        case Source.SECOND_COLUMN, Beside(header, field):
            return f"second column for {field} (after '{header}'): {_CUSTOM}"
    raise ValueError(f"no text for {source} with {basis!r}")


def _part(e: Evidence) -> str:
    match e:
        case ValueFit(fit, what, _, doubt=True):
            return f"but values such as '{fit.example}' are not {what} ({fit.share(what)})"
        case ValueFit(fit, what):
            return fit.share(what)
        case StatusValues():
            return _status_evidence(e)
        case ChosenOver():
            return _chosen_over(e)
        case OptOutRead():
            return opt_out_reading(e)
        case NotRead():
            return f"not read for opt-outs (--map '{e.key}=ignore')"
        case EmailFallback(header):
            return f"used as the email where '{header}' is empty"
        case NameSplit(split=False):
            return (
                f"not split into firstName and lastName: only {e.names} of {e.cells} sampled "
                "cells are names"
            )
        case NameSplit(recorded_in=path) if path:
            return f"split into firstName and lastName: {e.recorded} (as recorded in {path})"
        case NameSplit():
            return f"split into firstName and lastName: {e.evidence}"
        case KeyTaken(key, new_key):
            return f"key '{key}' already used, so kept as '{new_key}'"
    raise ValueError(f"no text for {e!r}")


def _status_evidence(look: StatusValues) -> str:
    text = look.fit.share("lead statuses")
    if look.translated:
        text += f"; values translated: {', '.join(look.translated)}"
    if look.fit.fit < look.fit.seen:
        text += (
            f"; {look.fit.seen - look.fit.fit} of {look.fit.seen} are not (such as "
            f"'{look.fit.example}'): those rows are rejected"
        )
    return text


def _chosen_over(e: ChosenOver) -> str:
    names = ", ".join(f"'{h}'" for h in e.losers)
    why = (
        "the primary address ranks first"
        if e.field == "email"
        else f"it ranks first among the headers known for {e.field}"
    )
    if e.empty:
        empties = ", ".join(f"'{h}'" for h in e.empty)
        why += f" that hold values ({empties}: empty in the rows looked at)"
    if e.misfit:
        misfits = ", ".join(f"'{h}'" for h in e.misfit)
        why += f"; {misfits} holds other values than addresses"
    return f"chosen over {names}: {why}"


def opt_out_reading(e: OptOutRead) -> str:
    """How an opt-out column is read, as one clause."""
    if e.kind in ("subscription", "permission"):
        return _consent_reading(e)
    if e.recorded_in:
        said = {"flag": "a yes", "when": "any value"}.get(e.kind, "a cell that says so")
        return (
            f"read for opt-outs on every row: {said} makes the lead "
            f"{e.means or 'unsubscribed or bounced'} (as recorded in {e.recorded_in})"
        )
    if e.kind == "status":
        return (
            "read for opt-outs on every row: a cell that says unsubscribed or bounced makes "
            "the lead so"
        )
    said = "a yes" if e.kind == "flag" else "any value"
    text = f"read for opt-outs on every row: {said} makes the lead {e.means}"
    if e.consent == "do_not_email":
        text = f"a do-not-email column, {text}"
    if e.kind == "flag" and e.fit is not None and e.fit.seen:
        text += f" ({e.fit.share('yes or no')}; a row holding anything else is rejected)"
    return text


_NO = "a no (false, no, 0, unchecked, in any language of the lexicon)"
_ANY_OPT_OUT = "a cell that says unsubscribed or bounced makes the lead so"


def _consent_reading(e: OptOutRead) -> str:
    recorded = f" (as recorded in {e.recorded_in})" if e.recorded_in else ""
    sampled = f"; {e.fit.share('yes or no')}" if e.fit is not None and e.fit.seen else ""
    if e.kind == "subscription":
        return (
            f"a subscription state, read on every row: {_NO} makes the lead unsubscribed; a "
            f"yes or an empty cell changes nothing{sampled}; a row holding anything else is "
            f"rejected{recorded}"
        )
    said_no = f"; {e.no} of {e.fit.seen} values looked at say no" if e.fit and e.fit.seen else ""
    if e.means is not None:
        return (
            f"a marketing permission, read on every row with --consent-required: {_NO} makes "
            f"the lead unsubscribed{said_no}{recorded}"
        )
    return (
        f"a marketing permission: a no changes no status (--consent-required imports those "
        f"rows as unsubscribed){said_no}; {_ANY_OPT_OUT}{recorded}"
    )


def not_read_note(header: str, e: NotRead) -> str:
    """A column --map 'Column=ignore' keeps from being read for opt-outs."""
    return (
        f"'{header}' is not read for opt-outs: --map '{e.key}=ignore' overrules reading it "
        f"as {opt_out_reading(e.would)}."
    )


# --- sentences on whole columns (Mapping.notes) ----------------------------------------------


def verdict_note(header: str, service: str, evidence: str) -> str:
    """What the run does with a verdict column."""
    return (
        f"'{header}' holds {service} verdicts ({evidence}): rows whose verdict says "
        "invalid or do-not-mail are left out (--ignore-verdicts imports them)."
    )


def status_note(header: str, fit: Fit) -> str:
    """A column that fills the status."""
    return f"'{header}' fills status ({fit.share('lead statuses')})."


def opt_out_note(header: str, read: OptOutRead, *, not_status: StatusValues | None) -> str:
    """A column read for opt-outs; ``not_status``: a status-like column not used for the
    status, and what its values said (a warning)."""
    clause = opt_out_reading(read)
    if read.kind != "status":
        return f"'{header}' is {clause}."
    if read.consent and read.fit is not None:
        named = "a subscription state" if read.consent == "subscription" else "a permission"
        return (
            f"'{header}' names {named}, but not as yes or no ({read.fit.share('yes or no')}, "
            f"such as '{read.fit.example}'); it is {clause}."
        )
    if read.recorded_in:
        return f"'{header}' was not used for the status; it is {clause}."
    reason = "no values looked at"
    if not_status is not None and not_status.fit.seen:
        reason = not_status.fit.share("lead statuses")
        if not_status.fit.example:
            reason += f", such as '{not_status.fit.example}'"
        elif not_status.kinds == {"active"}:
            reason += ", all active"
    return f"'{header}' was not used for the status ({reason}); it is {clause}."
