"""The MAP stage: decide which lead field each input column fills.

Every column gets exactly one :class:`Target` (a lead field, ``customFields.<key>``, ``tags``
or ``ignore``), decided once per file from its header and the reader's bounded sample of its
values, by precedence: ``--map`` options, a mapping file, a header that is a lead field's name
or a known synonym (most specific first), a header whose words name a field
(``contact_first_name``, ``E-Mail-Adresse``), values that say what the column is (LinkedIn
profiles, addresses), then the ``--unmapped`` policy. Headers compare casefolded with only
letters and digits kept. A header whose values plainly do not fit its field is not followed,
and ``map`` shows the share that fits. The status column is decided by its values (more than
half lead statuses, not all ``active``); every status-like or opt-out column not used for it
is read for opt-outs on every row (:mod:`foxreach_cli.optouts`). A header row holding an email
address is refused (the file has no header row). A lone full-name column is split into first
and last names. When several columns claim one field the stronger
claim wins and the others stay custom fields: data is never dropped by a clash. Saving and
loading mapping files is :mod:`foxreach_cli.mapping_file`; the rules in full:
docs/mapping.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping as AbcMapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from foxreach_cli.cell_rules import NULL_CELLS
from foxreach_cli.defaults import UNMAPPED, Unmapped
from foxreach_cli.errors import InputError, NoEmailColumnError, UsageError
from foxreach_cli.hygiene.verdicts import VERDICT_KINDS as VERDICT_DECISION_KINDS
from foxreach_cli.hygiene.verdicts import VerdictColumn, find_verdict_columns, verdict_column
from foxreach_cli.names import name_evidence
from foxreach_cli.optouts import (
    NO,
    STATUS_OF,
    YES,
    OptOutColumn,
    opt_out_header,
    status_like,
)
from foxreach_cli.sniff import (
    Fit,
    compare_form,
    fit_of,
    header_words,
    looks_email,
    looks_linkedin,
    looks_phone,
    looks_url,
)
from foxreach_cli.stage_data import (
    LEAD_FIELDS,
    LEAD_STATUSES,
    ROW_ERROR_COLUMN,
    SourceInfo,
)

TargetKind = Literal["field", "custom", "tags", "ignore"]

_CUSTOM_PREFIX = "customFields."
_FIELD_BY_CASEFOLD = {f.casefold(): f for f in LEAD_FIELDS}
_VALID_TARGETS = ", ".join(LEAD_FIELDS) + ", customFields.<key>, tags or ignore"


def normalise_header(text: str) -> str:
    """The form headers are compared in: casefolded, letters and digits only.

    ``"E-mail"``, ``"email"`` and ``" E_MAIL "`` all become ``"email"``;
    ``"Person Linkedin Url"`` becomes ``"personlinkedinurl"``.
    """
    return re.sub(r"[\W_]+", "", text.casefold())


@dataclass(frozen=True)
class Target:
    """Where one column's values go in a lead."""

    kind: TargetKind
    #: The lead field (one of ``stage_data.LEAD_FIELDS``) for "field"; the customFields key for
    #: "custom"; empty for "tags" and "ignore".
    name: str = ""

    @classmethod
    def parse(cls, text: str) -> Target:
        """Parse ``email``, ``firstName`` (any case), ``customFields.<key>``, ``tags``, ``ignore``.

        The customFields key is kept exactly as written (it is user data). Anything else is a
        :class:`UsageError` listing the valid targets.
        """
        stripped = text.strip()
        folded = stripped.casefold()
        if folded in _FIELD_BY_CASEFOLD:
            return cls("field", _FIELD_BY_CASEFOLD[folded])
        if folded in ("tags", "ignore"):
            return cls(folded)  # type: ignore[arg-type]
        if folded.startswith(_CUSTOM_PREFIX.casefold()):
            key = stripped[len(_CUSTOM_PREFIX) :].strip()
            if key:
                return cls("custom", key)
            raise UsageError(
                f"'{text}' names no custom field key; write it as customFields.<key>, "
                "e.g. customFields.industry."
            )
        raise UsageError(f"'{text}' is not a lead field; use one of {_VALID_TARGETS}.")

    def __str__(self) -> str:
        if self.kind == "field":
            return self.name
        if self.kind == "custom":
            return _CUSTOM_PREFIX + self.name
        return self.kind


@dataclass(frozen=True)
class ColumnMap:
    """The decision for one input column."""

    header: str  # as written in the file
    column: str  # the frame key (``SourceInfo.columns``)
    target: Target
    how: str  # why, for a person: "--map", "synonym: 'Email Address'", ...


#: The kind of :class:`Decision` that splits a full-name column into firstName and lastName
#: (a file with no first/last name columns); the column itself keeps its own target.
SPLIT_NAME = "split_name"
#: The kind of :class:`Decision` naming the other columns that hold the lead's own address,
#: strongest first (:attr:`Mapping.email_fallbacks`).
EMAIL_FALLBACK = "email_fallback"
#: Kinds of :class:`Decision` naming the columns read for opt-outs on every row, one per way
#: of reading them (:class:`foxreach_cli.optouts.OptOutColumn` ``kind`` and ``means``).
OPT_OUT_KINDS: dict[str, tuple[str, str | None]] = {
    "opt_out_flag_unsubscribed": ("flag", "unsubscribed"),
    "opt_out_flag_bounced": ("flag", "bounced"),
    "opt_out_when_unsubscribed": ("when", "unsubscribed"),
    "opt_out_when_bounced": ("when", "bounced"),
    "opt_out_status": ("status", None),
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
            if cm.target == _EMAIL:
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


_EMAIL = Target("field", "email")


def mapping_rows(mapping: Mapping) -> list[dict[str, str]]:
    """The mapping as plain rows (column, field, how) for the report and the ``map`` table."""
    return [{"column": c.header, "field": str(c.target), "how": c.how} for c in mapping.columns]


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


# --------------------------------------------------------------------------------------------
# Synonyms
# --------------------------------------------------------------------------------------------

#: Headers recognised per target, strongest (most specific) first: a header's rank decides
#: which of two competing columns fills the field, so a primary address ranks before secondary
#: ones and ``Job Title`` before a bare ``Title`` (which Outlook uses for Mr./Ms.). Compared
#: normalised (see :func:`normalise_header`), so each spelling also covers its case and
#: punctuation variants (``FirstName``, ``MobilePhone``: Salesforce's API names). Sources:
#: the exports of Google Contacts (both layouts), Outlook, Thunderbird, LinkedIn, Salesforce,
#: HubSpot, Apollo, Mailchimp (``EMAIL``/``FNAME``/``LNAME`` merge tags), Pipedrive
#: (``Person - ...``), Zoho, Outreach and Lemlist.
#:
#: Deliberately absent (they stay custom fields unless mapped with --map):
#: "Lead Status"/"Lifecycle Stage" (CRM pipeline stages such as "New", "Open": every row would
#: be rejected as an invalid status), "Lead Source" (would replace the import's own source,
#: csv_import), "Headline" (a LinkedIn tagline, not a job title), "Description" (in Apollo and
#: Salesforce account exports it describes the company), "Email Status" (a verdict, not an
#: address), "Company Linkedin Url" (the company's page, not the person's), "URL" and "Name"
#: (too vague; a full name is split instead, see :data:`FULL_NAME_HEADERS`), "Salutation" and
#: "Name Prefix" (Mr./Ms.), Google's "E-mail 1 - Type"/"Label" (the word Work or Home).
#: "Domain" maps to website, but ranks below every real website column.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "email": (
        "Email",
        "Email Address",
        "E-mail",
        "E-mail Address",
        "Primary Email",
        "Work Email",
        "Business Email",
        "Email - Work",
        "Work Email Address",
        "Person - Email - Work",
        "Person - Email",
        "Contact Email",
        "Email 1",
        "E-mail 1 - Value",
        "Email - Other",
        "Person - Email - Other",
        "Secondary Email",
        "Email 2",
        "E-mail 2 Address",
        "E-mail 2 - Value",
        "Personal Email",
        "Email - Home",
        "Person - Email - Home",
        "Other Email",
        "Tertiary Email",
        "Email 3",
        "E-mail 3 Address",
        "E-mail 3 - Value",
    ),
    "firstName": (
        "First Name",
        "Given Name",
        "Forename",
        "First",
        "Person - First Name",
        "FNAME",
    ),
    "lastName": ("Last Name", "Surname", "Family Name", "Last", "Person - Last Name", "LNAME"),
    "company": (
        "Company",
        "Company Name",
        "Account Name",
        "Organization",
        "Organisation",
        "Organization Name",
        "Organisation Name",
        "Organization - Name",
        "Organization 1 - Name",
        "Person - Organization",
        "Company / Account",
        "Current Company",
        "Employer",
        "Account",
        "Associated Company",
        "Company Name for Emails",
    ),
    "title": (
        "Job Title",
        "Organization Title",
        "Organization 1 - Title",
        "Person - Job Title",
        "Title",
        "Position",
        "Role",
        "Job Role",
        "Current Title",
        "Current Position",
        "Designation",
    ),
    "phone": (
        "Phone",
        "Phone Number",
        "Primary Phone",
        "Telephone",
        "First Phone",
        "Direct Phone",
        "Work Direct Phone",
        "Direct Dial",
        "Work Phone",
        "Phone - Work",
        "Person - Phone - Work",
        "Business Phone",
        "Phone 1 - Value",
        "Person - Phone",
        "Mobile Phone",
        "Mobile",
        "Mobile Number",
        "Mobile Phone Number",
        "Phone - Mobile",
        "Person - Phone - Mobile",
        "Cell Phone",
        "Cell",
        "Corporate Phone",
        "Company Phone",
        "Home Phone",
        "Phone - Home",
        "Other Phone",
        "Phone - Other",
    ),
    "linkedinUrl": (
        "LinkedIn URL",
        "LinkedIn",
        "Person Linkedin Url",
        "LinkedIn Profile",
        "LinkedIn Profile URL",
        "LinkedIn Link",
        "Profile URL",
    ),
    "website": (
        "Website",
        "Company Website",
        "Website URL",
        "Web Site",
        "Web Page",
        "Web Page 1",
        "Website 1 - Value",
        "Company URL",
        "Homepage",
        "Domain",
        "Company Domain",
        "Website Domain",
    ),
    "notes": ("Notes", "Note", "Comments", "Comment", "Remarks"),
    "tags": (
        "Tags",
        "Tag",
        "Labels",
        "Label",
        "Lists",
        "Categories",
        "Person - Labels",
        "Person - Label",
    ),
}

#: Headers of a column holding a whole name. Such a column is split into firstName and
#: lastName when the file has no first/last name column (it stays a custom field too).
FULL_NAME_HEADERS: tuple[str, ...] = (
    "Name",
    "Full Name",
    "Contact Name",
    "Contact Full Name",
    "Person - Name",
    "Display Name",
    "Lead Name",
)

#: Values of a "Title" column that make it a name prefix (Outlook), not a job title. Compared
#: casefolded without the final period.
NAME_PREFIXES = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "sir",
        "dame",
        "madam",
        "mme",
        "mlle",
        "m",
        "herr",
        "frau",
        "rev",
        "fr",
        "prefix",
    ]
)


def _build_synonym_index() -> dict[str, tuple[str, int, str]]:
    index: dict[str, tuple[str, int, str]] = {}
    for target, spellings in SYNONYMS.items():
        for rank, spelling in enumerate(spellings):
            key = normalise_header(spelling)
            if key in index and index[key][0] != target:
                raise AssertionError(f"synonym {spelling!r} listed for two targets")
            index.setdefault(key, (target, rank, spelling))
    return index


#: normalised header -> (target, rank, spelling as listed)
_SYNONYM_INDEX = _build_synonym_index()
_FIELD_BY_NORMAL = {normalise_header(f): f for f in (*LEAD_FIELDS, "tags")}
_FULL_NAMES = frozenset(normalise_header(h) for h in FULL_NAME_HEADERS)
_EMAIL_HEADERS = frozenset(
    [normalise_header("email")] + [normalise_header(s) for s in SYNONYMS["email"]]
)


def names_email(header: str) -> bool:
    """Does this header text name an email column (the field name or a synonym)?

    Readers use it to find the header row below a preamble.
    """
    return normalise_header(header) in _EMAIL_HEADERS


# --------------------------------------------------------------------------------------------
# Options and building
# --------------------------------------------------------------------------------------------


def parse_map_options(values: Sequence[str]) -> dict[str, Target]:
    """Parse repeated ``--map "Column=field"`` values into ``{column: target}``.

    Headers may contain ``=`` ("Score (1=low)") and so may custom keys, so a value is split at
    the *rightmost* ``=`` whose right-hand side is a valid target:
    ``"Score (1=low)=customFields.score"`` names the column ``Score (1=low)``, and
    ``"A=customFields.x=y"`` maps ``A`` to the custom key ``x=y``. A value with no such ``=``
    (or an empty column name) is a :class:`UsageError`; naming one column twice is too.
    """
    result: dict[str, Target] = {}
    for value in values:
        header, target = _split_map_option(value)
        if header in result:
            raise UsageError(f"names column '{header}' twice; keep one per column.", option="maps")
        result[header] = target
    return result


def _split_map_option(value: str) -> tuple[str, Target]:
    last_error: UsageError | None = None
    pos = len(value)
    while (pos := value.rfind("=", 0, pos)) != -1:
        header = value[:pos].strip()
        try:
            target = Target.parse(value[pos + 1 :])
        except UsageError as exc:
            last_error = last_error or exc
            continue
        if header:
            return header, target
        break
    detail = f" ({last_error.message})" if last_error and "=" in value else ""
    raise UsageError(
        f"'{value}' is not Column=field{detail}; write it as \"Column=field\" with "
        f"field one of {_VALID_TARGETS}.",
        option="maps",
    )


# Claim strength levels (lower wins). A field name and a synonym are one level: between them
# the rank in SYNONYMS decides, so the more specific header wins.
_LEVEL_MAP_OPTION, _LEVEL_MAPPING_FILE, _LEVEL_HEADER, _LEVEL_UNMAPPED = range(4)


@dataclass
class _Claim:
    index: int
    header: str
    column: str
    target: Target
    how: str
    level: int
    rank: int = 0
    #: The column held no value in the rows looked at (only known when samples were given).
    empty: bool = False
    #: Its header names the email but most sampled values are not addresses: it gives way
    #: to a column whose values fit, and is kept (rows rejected one by one) when none does.
    misfit: bool = False


def build_mapping(
    info: SourceInfo,
    *,
    overrides: AbcMapping[str, Target] | None = None,
    mapping_file: MappingFile | None = None,
    unmapped: Unmapped = UNMAPPED,
    samples: AbcMapping[str, Sequence[str]] | None = None,
) -> Mapping:
    """Decide the target of every column of ``info`` (see the module docstring for the rules).

    ``samples`` holds values of the first rows per column key (default: the reader's
    ``info.samples``); recognised headers whose values contradict the field (a status column
    of CRM stages, a title column of Mr./Ms.) are kept as custom fields instead.

    Raises :class:`UsageError` when an override or mapping-file entry names a column the file
    does not have (or several columns ambiguously), or when two explicit entries of the same
    source claim one single-valued field; :class:`NoEmailColumnError` when no column can be
    the email.
    """
    indices = [i for i, col in enumerate(info.columns) if col != ROW_ERROR_COLUMN]
    claims: dict[int, _Claim] = {}

    def explicit(entries: AbcMapping[str, Target], level: int, source: str, how: str) -> None:
        seen: dict[int, str] = {}
        for name, target in entries.items():
            i = _resolve_column(name, info, indices, source)
            if i in seen:
                raise UsageError(
                    f"{source} names column '{info.headers[i]}' twice (as '{seen[i]}' and "
                    f"'{name}'); keep one entry per column."
                )
            seen[i] = name
            if i not in claims:
                claims[i] = _Claim(i, info.headers[i], info.columns[i], target, how, level)

    if overrides:
        explicit(overrides, _LEVEL_MAP_OPTION, "--map", "--map")
    if mapping_file is not None:
        explicit(mapping_file.columns, _LEVEL_MAPPING_FILE, mapping_file.path, "mapping file")

    _refuse_data_as_header(info, indices)
    for i in indices:
        if i in claims:
            continue
        header, column = info.headers[i], info.columns[i]
        norm = normalise_header(header)
        if norm in _FIELD_BY_NORMAL:
            name = _FIELD_BY_NORMAL[norm]
            known = _SYNONYM_INDEX.get(norm)
            rank = known[1] if known is not None and known[0] == name else 0
            claims[i] = _Claim(
                i, header, column, _target_for(name), "field name", _LEVEL_HEADER, rank
            )
        elif norm in _SYNONYM_INDEX:
            name, rank, spelling = _SYNONYM_INDEX[norm]
            claims[i] = _Claim(
                i, header, column, _target_for(name), f"synonym: '{spelling}'", _LEVEL_HEADER, rank
            )
        elif (by_words := _field_by_words(header)) is not None:
            name, rank = by_words
            how = f"header words: '{' '.join(header_words(header))}'"
            claims[i] = _Claim(i, header, column, _target_for(name), how, _LEVEL_HEADER, rank)
        elif unmapped == "ignore":
            how = "not recognised: ignored (--unmapped ignore)"
            claims[i] = _Claim(i, header, column, Target("ignore"), how, _LEVEL_UNMAPPED)
        elif header.strip():
            how = "not recognised: kept as custom field"
            claims[i] = _Claim(i, header, column, Target("custom", header), how, _LEVEL_UNMAPPED)
        else:
            key = column if column.strip() else f"column {i + 1}"
            how = f"no header: kept as custom field '{key}'"
            claims[i] = _Claim(i, header, column, Target("custom", key), how, _LEVEL_UNMAPPED)

    looked_at = info.samples if samples is None else samples
    # Verdict columns first: such a column ("ZB Status", Apollo's "Email Status") must never
    # be taken for the lead's status or an opt-out column.
    if mapping_file is not None and mapping_file.decisions is not None:
        verdicts = _replayed_verdicts(mapping_file, info, indices)
    else:
        verdicts = _find_verdicts(claims, info, indices, looked_at)
    for v in verdicts:
        claim = claims[info.columns.index(v.key)]
        if claim.level > _LEVEL_MAPPING_FILE:
            claim.target = Target("custom", claim.header if claim.header.strip() else v.key)
            claim.level = _LEVEL_HEADER
        claim.how = f"{v.service} verdicts ({v.evidence}): read by the hygiene step"
    verdict_keys = {v.key for v in verdicts}
    others = {i: c for i, c in claims.items() if c.column not in verdict_keys}
    _check_values(others, looked_at)
    _claim_by_content(others, looked_at)
    statuses = _decide_status(others, looked_at)
    if looked_at:
        for claim in claims.values():
            claim.empty = not any(
                v.strip() and v.strip() not in NULL_CELLS for v in looked_at.get(claim.column, ())
            )
    emails = sorted(
        (c for c in claims.values() if c.target == _EMAIL and c.level == _LEVEL_HEADER),
        key=lambda c: (c.misfit, c.empty, c.rank, c.index),
    )
    _settle_field_clashes(claims, info, mapping_file)
    fallbacks = _email_fallbacks(claims, emails)
    if mapping_file is not None and mapping_file.decisions is not None:
        decisions = _replay_decisions(mapping_file, claims, info, indices)
        opt_outs, notes, warnings = _replayed_opt_outs(decisions, info, mapping_file.path)
        fallbacks = next((d.columns for d in decisions if d.kind == EMAIL_FALLBACK), ())
    else:
        opt_outs, notes, warnings = _opt_out_columns(others, looked_at, statuses)
        decisions = (
            _full_name_decision(claims, looked_at)
            + _fallback_decision(fallbacks)
            + _opt_out_decisions(opt_outs)
            + _verdict_decisions(verdicts)
        )
    notes = tuple(
        f"'{v.header}' holds {v.service} verdicts ({v.evidence}): rows whose verdict says "
        "invalid or do-not-mail are left out (--ignore-verdicts imports them)."
        for v in verdicts
    ) + tuple(notes)
    _settle_custom_keys(claims)
    mapping = Mapping(
        tuple(_to_column_map(claims[i]) for i in indices),
        opt_outs=opt_outs,
        email_fallbacks=fallbacks,
        notes=notes,
        warnings=warnings,
        decisions=decisions,
        verdicts=verdicts,
    )
    if not any(cm.target == _EMAIL for cm in mapping.columns):
        raise NoEmailColumnError(
            f"{info.file} has no column that can be the email (headers: "
            f"{_list_headers(info)}); name one with --map 'Column=email'."
        )
    return mapping


def _target_for(name: str) -> Target:
    return Target("tags") if name == "tags" else Target("field", name)


def _to_column_map(claim: _Claim) -> ColumnMap:
    return ColumnMap(claim.header, claim.column, claim.target, claim.how)


def _settle_field_clashes(
    claims: dict[int, _Claim], info: SourceInfo, mapping_file: MappingFile | None
) -> None:
    """One column per single-valued field: the strongest claim wins, losers become custom."""
    by_field: dict[str, list[_Claim]] = {}
    for claim in claims.values():
        if claim.target.kind == "field":
            by_field.setdefault(claim.target.name, []).append(claim)
    for field_name, competing in by_field.items():
        if len(competing) < 2:
            continue
        # A recognised column that is empty in the rows looked at (Outlook's Primary Phone)
        # gives way to one that holds values; explicit entries are never second-guessed.
        competing.sort(
            key=lambda c: (
                c.level,
                c.level == _LEVEL_HEADER and c.misfit,
                c.level == _LEVEL_HEADER and c.empty,
                c.rank,
                c.index,
            )
        )
        winner, runner_up = competing[0], competing[1]
        if runner_up.level == winner.level and winner.level in (
            _LEVEL_MAP_OPTION,
            _LEVEL_MAPPING_FILE,
        ):
            source = "--map" if winner.level == _LEVEL_MAP_OPTION else mapping_file.path  # type: ignore[union-attr]
            raise UsageError(
                f"{source} maps both '{winner.header}' and '{runner_up.header}' to "
                f"{field_name}; map only one of them (the other can be "
                f"customFields.<key> or ignore)."
            )
        for loser in competing[1:]:
            key = loser.header if loser.header.strip() else loser.column
            loser.target = Target("custom", key)
            loser.how = (
                f"second column for {field_name} (after '{winner.header}'): kept as custom field"
            )
            loser.level = _LEVEL_UNMAPPED
        if winner.level == _LEVEL_HEADER:
            names = ", ".join(f"'{c.header}'" for c in competing[1:])
            why = (
                "the primary address ranks first"
                if field_name == "email"
                else f"it ranks first among the headers known for {field_name}"
            )
            empties = [f"'{c.header}'" for c in competing[1:] if c.empty and c.rank < winner.rank]
            if empties:
                why += f" that hold values ({', '.join(empties)}: empty in the rows looked at)"
            misfits = [f"'{c.header}'" for c in competing[1:] if c.misfit and not winner.misfit]
            if misfits:
                why += f"; {', '.join(misfits)} holds other values than addresses"
            winner.how += f"; chosen over {names}: {why}"


def _check_values(claims: dict[int, _Claim], samples: AbcMapping[str, Sequence[str]]) -> None:
    """Undo header-based claims that the column's sampled values contradict (an ``Email``
    column of yes/no, a ``Title`` of Mr./Ms.), and add the evidence to those that stand."""
    for claim in claims.values():
        if claim.level != _LEVEL_HEADER or claim.target.kind != "field":
            continue
        values = samples.get(claim.column, ())
        key = claim.header if claim.header.strip() else claim.column
        name = claim.target.name
        if name in _VALUE_TESTS:
            test, what = _VALUE_TESTS[name]
            fit = fit_of(values, test)
            if fit.few and name == "email":
                claim.misfit = True
                claim.how += (
                    f"; but values such as '{fit.example}' are not {what} ({fit.share(what)})"
                )
            elif fit.few:
                claim.target = Target("custom", key)
                claim.how = (
                    f"header says {name} but values such as '{fit.example}' are not {what} "
                    f"({fit.share(what)}): kept as custom field"
                )
                claim.level = _LEVEL_UNMAPPED
            elif fit.seen:
                claim.how += f"; {fit.share(what)}"
        elif name == "title" and (
            "prefix" in claim.header.casefold()
            or (
                (kept := [v for v in values if v.strip() not in NULL_CELLS])
                and all(_is_prefix(v) for v in kept)
            )
        ):
            claim.target = Target("custom", key)
            claim.how = (
                "values are name prefixes (Mr., Ms., Dr.), not job titles: kept as custom field"
            )
            claim.level = _LEVEL_UNMAPPED


#: Lead field -> (test of one sampled value, what fitting values are, for a person).
_VALUE_TESTS = {
    "email": (looks_email, "email addresses"),
    "linkedinUrl": (looks_linkedin, "LinkedIn profile URLs"),
    "website": (looks_url, "web addresses or domains"),
    "phone": (looks_phone, "phone numbers"),
}
#: Ranks of claims decided by header words and by values alone: after every listed synonym.
_RANK_WORDS, _RANK_CONTENT = 1000, 2000


def _claim_by_content(claims: dict[int, _Claim], samples: AbcMapping[str, Sequence[str]]) -> None:
    """Unrecognised columns whose sampled values are mostly email addresses or LinkedIn
    profiles claim that field, whatever their header (``URL``, ``Contact LI Profile URL``)."""
    for claim in claims.values():
        if claim.level != _LEVEL_UNMAPPED or not claim.how.startswith(("not recognised", "no h")):
            continue
        values = samples.get(claim.column, ())
        if not values:
            continue
        for name in ("linkedinUrl", "email"):
            test, what = _VALUE_TESTS[name]
            fit = fit_of(values, test)
            if fit.most:
                claim.target = Target("field", name)
                claim.how = f"values: {fit.share(what)}"
                claim.level = _LEVEL_HEADER
                claim.rank = _RANK_CONTENT
                break


def _refuse_data_as_header(info: SourceInfo, indices: list[int]) -> None:
    """A header row holding an email address is a file's first lead, not its column names:
    refuse it rather than lose that lead and map the rest by its values."""
    for i in indices:
        header = info.headers[i].strip()
        if looks_email(header):
            raise InputError(
                f"{info.file}: row {info.header_row}, read as the header, holds the email "
                f"address '{header}': it looks like data, not column names, so the file seems "
                "to have no header row; add one (e.g. Email,First Name,...) or pass "
                "--header-row N with the row that holds the column names."
            )


# --------------------------------------------------------------------------------------------
# Header words
# --------------------------------------------------------------------------------------------

#: Words that make a header about something other than the lead's own value of a field:
#: a verdict, a count, a date, a consent, another party's detail.
_NOT_A_VALUE = frozenset(
    [
        "status", "state", "verified", "verification", "valid", "validity", "invalid", "opt",
        "optin", "optout", "opted", "unsubscribed", "bounce", "bounced", "count", "sent",
        "opened", "opens", "clicked", "clicks", "type", "label", "format", "consent",
        "permission", "subscription", "subscribed", "date", "time", "reason", "score",
        "campaign", "template", "quarantined", "confirmed", "accepts", "preference", "rating",
        "quality", "provider", "free", "mx", "smtp", "mean", "hard", "soft", "domain", "id",
        "owner", "manager", "assistant", "referrer", "referred", "agent", "sender", "recipient",
        "marketing", "source", "do", "not", "no", "extension", "ext", "country", "code",
        "company", "organization", "organisation", "account", "employer", "linkedin",
    ]
)  # fmt: skip
#: Words that name a field, and the rank a claim by them takes (first listed, stronger).
_FIELD_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("email", ("email", "emails", "courriel", "correo", "emailadresse", "mailadresse", "mail")),
    ("phone", ("phone", "telephone", "tel", "mobile", "cell", "telefon", "telefono", "handy")),
    ("linkedinUrl", ("linkedin",)),
    ("website", ("website", "homepage", "webpage", "webseite", "sitio")),
    ("firstName", ("firstname", "forename", "givenname", "vorname", "prenom")),
    ("lastName", ("lastname", "surname", "familyname", "nachname", "apellido", "apellidos")),
    ("title", ("jobtitle", "position", "poste", "puesto", "cargo")),
    ("company", ("company", "organization", "organisation", "employer", "firma", "empresa")),
)
#: Word pairs read as one word above ("first name" is firstname).
_PAIRS = {
    ("first", "name"): "firstname",
    ("given", "name"): "givenname",
    ("last", "name"): "lastname",
    ("family", "name"): "familyname",
    ("job", "title"): "jobtitle",
    ("web", "page"): "webpage",
}
#: Words a header may add to an email field's words and still name the lead's own address
#: (so it may stand in where the email column is empty).
_OWN_ADDRESS = frozenset(
    [
        "email", "emails", "mail", "courriel", "correo", "electronico", "emailadresse",
        "mailadresse", "address", "adresse", "direccion", "indirizzo", "primary", "secondary",
        "work", "business", "personal", "private", "home", "other", "alternate", "alternative",
        "additional", "backup", "user", "contact", "person", "lead", "customer", "s", "de", "e",
        "1", "2", "3",
    ]
)  # fmt: skip
#: The only words a header claimed by words may hold besides a field's words.
_QUALIFIERS = _OWN_ADDRESS | frozenset(
    ["contact", "person", "lead", "customer", "client", "user", "member", "attendee", "name",
     "current", "main", "direct", "number", "no", "nr", "num", "url", "profile", "link",
     "de", "du", "la", "le", "the", "of", "your", "company", "organization", "organisation",
     "web", "site", "1", "2", "3", "default", "billing", "shipping", "nombre", "numero"]
)  # fmt: skip


def _field_by_words(header: str) -> tuple[str, int] | None:
    """The field a header names by its words (``contact_first_name``, ``User Email``,
    ``E-Mail-Adresse``, ``Courriel``), and its rank; None when it names none plainly."""
    if opt_out_header(header) is not None:
        return None
    words = list(header_words(header))
    joined: list[str] = []
    for word in words:
        if joined and (joined[-1], word) in _PAIRS:
            joined[-1] = _PAIRS[(joined[-1], word)]
        else:
            joined.append(word)
    for n, (field, names) in enumerate(_FIELD_WORDS):
        hits = [w for w in joined if w in names]
        if not hits:
            continue
        rest = [w for w in joined if w not in names]
        if field not in ("company",) and _NOT_A_VALUE.intersection(rest):
            return None
        if field == "company" and set(rest) - _QUALIFIERS - {"address"}:
            return None
        if set(rest) - _QUALIFIERS:
            return None
        own = field != "email" or not set(rest) - _OWN_ADDRESS
        return field, _RANK_WORDS + 10 * n + (0 if own else 5)
    return None


def _is_prefix(value: str) -> bool:
    return value.strip().rstrip(".").casefold() in NAME_PREFIXES


# --------------------------------------------------------------------------------------------
# Status and opt-outs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _StatusLook:
    """What a status-like column's sampled values say."""

    fit: Fit  # lead statuses (or translations, or opt-out words) among the values
    opt_outs: int  # of which opt-outs (unsubscribed, bounced and their other words)
    kinds: frozenset[str]  # the distinct lead statuses they mean
    translated: tuple[str, ...]  # "cleaned -> bounced" pairs, for the evidence

    @property
    def used(self) -> bool:
        """The rule (docs/mapping.md): more than half of the values looked at are lead
        statuses, and not all ``active`` (a word many tools use for states of their own,
        such as Stripe's subscriptions). No stray value can turn an opt-out into active
        either way: a status-like column not used is still read for opt-outs on every row
        (so a CRM's "Lead Status" of stages with one "Unsubscribed" rejects no row)."""
        return self.fit.most and bool(self.kinds - {"active"})


def _look_at_statuses(values: Sequence[str]) -> _StatusLook:
    seen = fit = opt_outs = 0
    example = ""
    kinds: set[str] = set()
    translated: dict[str, str] = {}
    for value in values:
        text = value.strip()
        if not text or text in NULL_CELLS:
            continue
        seen += 1
        form = compare_form(text)
        status = STATUS_OF.get(form)
        if status is None:
            example = example or text
            continue
        fit += 1
        kinds.add(status)
        opt_outs += status in ("unsubscribed", "bounced")
        if form != status:
            translated[form] = status
    pairs = tuple(f"{k} -> {v}" for k, v in sorted(translated.items()))
    return _StatusLook(Fit(fit, seen, example), opt_outs, frozenset(kinds), pairs)


def _decide_status(
    claims: dict[int, _Claim], samples: AbcMapping[str, Sequence[str]]
) -> dict[int, _StatusLook]:
    """Decide, from its values, whether each status-like column fills the lead's status.

    Candidates: the column headed ``Status``, unrecognised columns whose header names a
    status (``Subscriber Status``, ``state``) or whose values are lead statuses. Explicit
    entries are not second-guessed. Returns every status-like column (used or not) with
    what its values say: those not used are read for opt-outs row by row.
    """
    looks: dict[int, _StatusLook] = {}
    for index, claim in claims.items():
        look = _look_at_statuses(samples.get(claim.column, ()))
        key = claim.header if claim.header.strip() else claim.column
        named = claim.target == _STATUS and claim.level == _LEVEL_HEADER
        unrecognised = claim.level == _LEVEL_UNMAPPED and claim.how.startswith("not recognised")
        explicit = claim.level in (_LEVEL_MAP_OPTION, _LEVEL_MAPPING_FILE)
        like = status_like(claim.header)
        if not (named or like or look.opt_outs or (unrecognised and look.used)):
            continue
        if opt_out_header(claim.header) is not None and claim.target != _STATUS:
            continue  # a flag or date column: read as such (_opt_out_columns)
        looks[index] = look
        share = look.fit.share("lead statuses")
        evidence = share
        if look.translated:
            evidence += f"; values translated: {', '.join(look.translated)}"
        if look.fit.fit < look.fit.seen:
            evidence += (
                f"; {look.fit.seen - look.fit.fit} of {look.fit.seen} are not (such as "
                f"'{look.fit.example}'): those rows are rejected"
            )
        if explicit:
            if claim.target == _STATUS and look.fit.seen:
                claim.how += f"; {evidence}"
            continue
        if named and (look.used or not look.fit.seen):
            if look.fit.seen:
                claim.how += f"; {evidence}"
        elif (named or unrecognised) and look.used:
            claim.target = _STATUS
            claim.how = f"status by {'header' if like else 'values'}: {evidence}"
            claim.level = _LEVEL_HEADER
            claim.rank = 1 if like else 2
        elif named:
            all_active = ", all active" if look.fit.most else ""
            claim.target = Target("custom", key)
            claim.how = (
                f"values such as '{look.fit.example or 'active'}' are not lead statuses "
                f"({', '.join(LEAD_STATUSES)}; {share}{all_active}): kept as custom field; "
                f"--map '{key}=status' imports it anyway, rejecting rows that hold others"
            )
            claim.level = _LEVEL_UNMAPPED
    return looks


def _opt_out_columns(
    claims: dict[int, _Claim],
    samples: AbcMapping[str, Sequence[str]],
    statuses: dict[int, _StatusLook],
) -> tuple[tuple[OptOutColumn, ...], tuple[str, ...], tuple[str, ...]]:
    """The columns read for opt-outs on every row, and a sentence on each status-like or
    opt-out column (notes), of which those on status-like columns not used (warnings)."""
    columns: list[OptOutColumn] = []
    notes: list[str] = []
    warnings: list[str] = []
    for index in sorted(claims):
        claim = claims[index]
        look = statuses.get(index)
        if claim.target == _STATUS:
            if look is not None and look.fit.seen:
                notes.append(f"'{claim.header}' fills status ({look.fit.share('lead statuses')}).")
            continue
        named = opt_out_header(claim.header)
        if named is not None:
            means, kind = named
            fit = fit_of(samples.get(claim.column, ()), _yes_or_no)
            if kind == "flag" and fit.few:
                kind = "when"  # not a yes/no column (an address, a note): any value is a yes
            said = "a yes" if kind == "flag" else "any value"
            read = f"read for opt-outs on every row: {said} makes the lead {means}"
            if kind == "flag" and fit.seen:
                read += f" ({fit.share('yes or no')}; a row holding anything else is rejected)"
            claim.how += f"; {read}"
            columns.append(OptOutColumn(claim.header, claim.column, kind, means, claim.how))
            notes.append(f"'{claim.header}' is {read}.")
            continue
        if look is None:
            continue
        read = (
            "read for opt-outs on every row: a cell that says unsubscribed or bounced makes "
            "the lead so"
        )
        claim.how += f"; {read}"
        columns.append(OptOutColumn(claim.header, claim.column, "status", None, claim.how))
        if look.fit.seen:
            reason = look.fit.share("lead statuses")
            if look.fit.example:
                reason += f", such as '{look.fit.example}'"
            elif look.kinds == {"active"}:
                reason += ", all active"
        else:
            reason = "no values looked at"
        sentence = f"'{claim.header}' was not used for the status ({reason}); it is {read}."
        notes.append(sentence)
        warnings.append(sentence)
    return tuple(columns), tuple(notes), tuple(warnings)


def _yes_or_no(value: str) -> bool:
    form = compare_form(value)
    return form in YES or form in NO


def _email_fallbacks(claims: dict[int, _Claim], ranked: list[_Claim]) -> tuple[str, ...]:
    """The other columns that hold the lead's own address (a listed synonym or plain header
    words, not values alone), strongest first: where the email cell is empty, the first
    filled one is used."""
    winner = next((c for c in claims.values() if c.target == _EMAIL), None)
    if winner is None:
        return ()
    out: list[str] = []
    for claim in ranked:
        if claim is winner or claim.target.kind != "custom" or claim.misfit:
            continue
        if claim.rank >= _RANK_CONTENT or (claim.rank >= _RANK_WORDS and claim.rank % 10 >= 5):
            continue
        claim.how += f"; used as the email where '{winner.header}' is empty"
        out.append(claim.column)
    return tuple(out)


def _full_name_decision(
    claims: dict[int, _Claim], samples: AbcMapping[str, Sequence[str]]
) -> tuple[Decision, ...]:
    """Split the first full-name column into first and last names, when no column fills
    firstName or lastName and most of its sampled cells read as names (not emails)."""
    if any(c.target in (_FIRST_NAME, _LAST_NAME) for c in claims.values()):
        return ()
    for index in sorted(claims):
        claim = claims[index]
        if claim.target.kind not in ("custom", "ignore"):
            continue
        if normalise_header(claim.header) not in _FULL_NAMES:
            continue
        names, cells = name_evidence(
            [v for v in samples.get(claim.column, ()) if v.strip() not in NULL_CELLS]
        )
        if cells and names * 2 <= cells:
            claim.how += (
                f"; not split into firstName and lastName: only {names} of {cells} sampled "
                "cells are names"
            )
            continue
        evidence = (
            f"{names} of {cells} sampled cells are names"
            if cells
            else "the header names a full name (no sampled cells)"
        )
        claim.how += f"; split into firstName and lastName: {evidence}"
        return (Decision(SPLIT_NAME, (claim.column,), evidence),)
    return ()


def _replay_decisions(
    mapping_file: MappingFile, claims: dict[int, _Claim], info: SourceInfo, indices: list[int]
) -> tuple[Decision, ...]:
    """The decisions a mapping file recorded, on this file's columns, as they were made."""
    assert mapping_file.decisions is not None
    decisions = []
    for kind, (names, evidence) in mapping_file.decisions.items():
        found = [_resolve_column(n, info, indices, mapping_file.path) for n in names]
        decisions.append(Decision(kind, tuple(info.columns[i] for i in found), evidence))
        if kind == SPLIT_NAME and found:
            claims[found[0]].how += (
                f"; split into firstName and lastName: {evidence} (as recorded in "
                f"{mapping_file.path})"
            )
    return tuple(decisions)


def _find_verdicts(
    claims: dict[int, _Claim],
    info: SourceInfo,
    indices: list[int],
    samples: AbcMapping[str, Sequence[str]],
) -> tuple[VerdictColumn, ...]:
    """The verdict columns of the file (``hygiene.find_verdict_columns``), except those the
    user mapped with --map (an explicit target is not second-guessed)."""
    free = [i for i in indices if claims[i].level != _LEVEL_MAP_OPTION]
    found = find_verdict_columns(
        [info.headers[i] for i in free], samples, [info.columns[i] for i in free]
    )
    return tuple(found)


def _verdict_decisions(verdicts: tuple[VerdictColumn, ...]) -> tuple[Decision, ...]:
    """The verdict columns as decisions a mapping file records, one per service."""
    decisions = []
    for kind, service in VERDICT_KINDS.items():
        mine = [v for v in verdicts if v.service == service]
        if mine:
            evidence = "; ".join(v.evidence for v in mine)
            decisions.append(Decision(kind, tuple(v.key for v in mine), evidence))
    return tuple(decisions)


def _replayed_verdicts(
    mapping_file: MappingFile, info: SourceInfo, indices: list[int]
) -> tuple[VerdictColumn, ...]:
    """The verdict columns a mapping file recorded, as recorded (no detection)."""
    assert mapping_file.decisions is not None
    found = []
    for kind, (names, evidence) in mapping_file.decisions.items():
        if kind not in VERDICT_KINDS:
            continue
        for name in names:
            i = _resolve_column(name, info, indices, mapping_file.path)
            found.append(
                verdict_column(
                    info.columns[i],
                    info.headers[i],
                    VERDICT_KINDS[kind],
                    f"{evidence} (as recorded in {mapping_file.path})",
                )
            )
    return tuple(found)


def _fallback_decision(fallbacks: tuple[str, ...]) -> tuple[Decision, ...]:
    """The email fallback columns as a decision a mapping file records."""
    if not fallbacks:
        return ()
    return (Decision(EMAIL_FALLBACK, fallbacks, "they hold the lead's other addresses"),)


def _opt_out_decisions(opt_outs: tuple[OptOutColumn, ...]) -> tuple[Decision, ...]:
    """The opt-out columns as decisions a mapping file records, one per way of reading."""
    decisions = []
    for kind, (how, means) in OPT_OUT_KINDS.items():
        columns = tuple(o.column for o in opt_outs if (o.kind, o.means) == (how, means))
        if columns:
            evidence = "; ".join(o.how for o in opt_outs if o.column in columns)
            decisions.append(Decision(kind, columns, evidence))
    return tuple(decisions)


def _replayed_opt_outs(
    decisions: tuple[Decision, ...], info: SourceInfo, path: str
) -> tuple[tuple[OptOutColumn, ...], tuple[str, ...], tuple[str, ...]]:
    """The opt-out columns a mapping file recorded, with a sentence on each (notes), of which
    those on status-like columns not used for the status (warnings)."""
    header = dict(zip(info.columns, info.headers, strict=True))
    columns: list[OptOutColumn] = []
    notes: list[str] = []
    warnings: list[str] = []
    for d in decisions:
        if d.kind not in OPT_OUT_KINDS:
            continue
        kind, means = OPT_OUT_KINDS[d.kind]
        said = {"flag": "a yes", "when": "any value"}.get(kind, "a cell that says so")
        for column in d.columns:
            read = (
                f"read for opt-outs on every row: {said} makes the lead "
                f"{means or 'unsubscribed or bounced'} (as recorded in {path})"
            )
            columns.append(OptOutColumn(header[column], column, kind, means, read))  # type: ignore[arg-type]
            if kind == "status":
                sentence = f"'{header[column]}' was not used for the status; it is {read}."
                warnings.append(sentence)
            else:
                sentence = f"'{header[column]}' is {read}."
            notes.append(sentence)
    return tuple(columns), tuple(notes), tuple(warnings)


_FIRST_NAME = Target("field", "firstName")
_STATUS = Target("field", "status")
_LAST_NAME = Target("field", "lastName")


def _settle_custom_keys(claims: dict[int, _Claim]) -> None:
    """Make customFields keys unique; the weaker claim gets a numbered suffix."""
    custom = [c for c in claims.values() if c.target.kind == "custom"]
    custom.sort(key=lambda c: (c.level, c.index))
    taken: set[str] = set()
    for claim in custom:
        key = claim.target.name
        if key in taken:
            n = 2
            while f"{key} ({n})" in taken:
                n += 1
            new_key = f"{key} ({n})"
            claim.how += f"; key '{key}' already used, so kept as '{new_key}'"
            claim.target = Target("custom", new_key)
            key = new_key
        taken.add(key)


def _resolve_column(name: str, info: SourceInfo, indices: list[int], source: str) -> int:
    """The index of the column an entry names: exact header, then column key, then normalised."""
    exact = [i for i in indices if info.headers[i] == name]
    if len(exact) == 1:
        return exact[0]
    by_key = [i for i in indices if info.columns[i] == name]
    if len(by_key) == 1:
        return by_key[0]
    if not exact:
        norm = normalise_header(name)
        exact = [i for i in indices if norm and normalise_header(info.headers[i]) == norm]
        if len(exact) == 1:
            return exact[0]
    if exact:
        keys = ", ".join(f"'{info.columns[i]}'" for i in exact)
        raise UsageError(
            f"{source} names '{name}', which matches several columns of {info.file}; "
            f"name one by its column key instead ({keys})."
        )
    raise UsageError(
        f"{source} names a column '{name}' that {info.file} does not have; use one of its "
        f"headers: {_list_headers(info)}."
    )


def _list_headers(info: SourceInfo, limit: int = 30) -> str:
    shown = [
        f"'{h}'" for h, c in zip(info.headers, info.columns, strict=True) if c != ROW_ERROR_COLUMN
    ]
    more = len(shown) - limit
    text = ", ".join(shown[:limit])
    return f"{text} and {more} more" if more > 0 else (text or "none")
