"""The MAP stage: decide which lead field each input column fills.

Every column gets exactly one :class:`Target` (a lead field, ``customFields.<key>``, ``tags``
or ``ignore``), decided once per file from its headers, by precedence: ``--map`` options, a
mapping file, a header that is a lead field's name or a known synonym (most specific first),
then the ``--unmapped`` policy. Headers compare casefolded with only letters and digits kept.
Recognised headers are checked against the reader's bounded sample of their values, so a
``Status`` of CRM stages or a ``Title`` of name prefixes stays a custom field; a lone full-name
column is split into first and last names. When several columns claim one field the stronger
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

from foxreach_cli.cleanup import NULL_CELLS
from foxreach_cli.errors import NoEmailColumnError, UsageError
from foxreach_cli.models import (
    LEAD_FIELDS,
    LEAD_STATUSES,
    ROW_ERROR_COLUMN,
    STATUS_TRANSLATIONS,
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
    #: The lead field (one of ``models.LEAD_FIELDS``) for "field"; the customFields key for
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


@dataclass(frozen=True)
class Mapping:
    """How every column of one input file maps to lead fields (in column order)."""

    columns: tuple[ColumnMap, ...]
    #: Frame key of a full-name column to split into firstName and lastName (a file with no
    #: first/last name columns); the column itself keeps its own target.
    split_name: str | None = None

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


def build_mapping(
    info: SourceInfo,
    *,
    overrides: AbcMapping[str, Target] | None = None,
    mapping_file: MappingFile | None = None,
    unmapped: Literal["custom", "ignore"] = "custom",
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
    _check_values(claims, looked_at)
    if looked_at:
        for claim in claims.values():
            claim.empty = not any(v.strip() for v in looked_at.get(claim.column, ()))
    _settle_field_clashes(claims, info, mapping_file)
    split = _full_name_column(claims)
    _settle_custom_keys(claims)
    mapping = Mapping(tuple(_to_column_map(claims[i]) for i in indices), split_name=split)
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
            key=lambda c: (c.level, c.level == _LEVEL_HEADER and c.empty, c.rank, c.index)
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
            winner.how += f"; chosen over {names}: {why}"


def _check_values(claims: dict[int, _Claim], samples: AbcMapping[str, Sequence[str]]) -> None:
    """Undo header-based claims on status and title that the column's values contradict."""
    for claim in claims.values():
        if claim.level != _LEVEL_HEADER or claim.target.kind != "field":
            continue
        values = [v for v in samples.get(claim.column, ()) if v.strip() not in NULL_CELLS]
        key = claim.header if claim.header.strip() else claim.column
        if claim.target.name == "status" and values:
            folded = [v.strip().casefold() for v in values]
            odd = [v for v, f in zip(values, folded, strict=True) if not _is_status(f)]
            if len(odd) > len(values) * (1 - _STATUS_SHARE):
                claim.target = Target("custom", key)
                claim.how = (
                    f"values such as '{odd[0].strip()}' are not lead statuses "
                    f"({', '.join(LEAD_STATUSES)}): kept as custom field; --map "
                    f"'{key}=status' imports it anyway, rejecting rows that hold others"
                )
                claim.level = _LEVEL_UNMAPPED
                continue
            used = sorted({f for f in folded if f in STATUS_TRANSLATIONS})
            if used:
                pairs = ", ".join(f"{f} -> {STATUS_TRANSLATIONS[f]}" for f in used)
                claim.how += f"; values translated: {pairs}"
            if odd:
                claim.how += (
                    f"; {len(odd)} of {len(values)} values looked at are not lead statuses "
                    f"(such as '{odd[0].strip()}'): those rows are rejected"
                )
        elif claim.target.name == "title" and (
            "prefix" in claim.header.casefold() or (values and all(_is_prefix(v) for v in values))
        ):
            claim.target = Target("custom", key)
            claim.how = (
                "values are name prefixes (Mr., Ms., Dr.), not job titles: kept as custom field"
            )
            claim.level = _LEVEL_UNMAPPED


def _is_status(folded: str) -> bool:
    return folded in LEAD_STATUSES or folded in STATUS_TRANSLATIONS


def _is_prefix(value: str) -> bool:
    return value.strip().rstrip(".").casefold() in NAME_PREFIXES


def _full_name_column(claims: dict[int, _Claim]) -> str | None:
    """The full-name column to split, when no column fills firstName or lastName."""
    if any(c.target in (_FIRST_NAME, _LAST_NAME) for c in claims.values()):
        return None
    for index in sorted(claims):
        claim = claims[index]
        if claim.level == _LEVEL_UNMAPPED and normalise_header(claim.header) in _FULL_NAMES:
            claim.how += "; split into firstName and lastName (the file has no such columns)"
            return claim.column
    return None


#: The share of a status column's sampled values that must be lead statuses (or translations)
#: for the column to fill status: a stray typo is rejected row by row, a column of CRM stages
#: stays a custom field.
_STATUS_SHARE = 0.9

_FIRST_NAME = Target("field", "firstName")
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
