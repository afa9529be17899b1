"""The VALIDATE stage: normalise one chunk and split it into valid leads and rejected rows.

Vectorised: the work per row is a handful of C-level passes (``map`` over object arrays, one
regex substitution over the chunk's joined emails, numpy comparisons), never a Python loop
over rows, except for the rare emails the fast path cannot settle.

Rules (every rejected row gets exactly one reason, the first that applies, in this order):

1. the reader marked the row unreadable (``models.ROW_ERROR_COLUMN``): its reason as given;
2. every cell blank: ``"empty row"`` (a reader should not produce these; if one does, it is
   accounted for rather than dropped);
3. the email cell blank: ``"missing email"``;
4. the email is not valid syntax by email-validator's rules (no DNS):
   ``"invalid email: <email-validator's sentence>"``;
5. a status cell that is not one of ``models.LEAD_STATUSES`` (any case) nor a value of
   ``models.STATUS_TRANSLATIONS`` (subscribed -> active, cleaned -> bounced, sent as
   translated): ``"status 'lead' is not one of active, bounced, unsubscribed, replied"``.

A cell of exactly ``null`` or ``NULL`` (HubSpot writes them for "no value") is blank.

Cells are trimmed (``str.strip``: Unicode whitespace) and a blank cell is absent: a lead never
carries ``""``. The email sent is the trimmed cell exactly as written; its lowercase is the
dedup key. No length limit is applied to any cell: API.md names none, and inventing one would
reject rows the server may accept (a value the server refuses makes it answer 422, and the
sender isolates that row by bisection).

Email fast path (:func:`fast_email_mask`): one regex substitution over the chunk's emails
joined by newlines accepts only what email-validator surely accepts: at most 64 characters
(so no label exceeds 63 and the address is far below 254), a dot-atom local part of atext
or Unicode letters and digits (NFC-normalised and at most 63 characters when not ASCII),
ASCII domain labels of letters and digits with single inner hyphens, and an all-letter
top-level domain of 2+ letters that is not a special-use name. Everything else (IDN
domains, quoted, long or unusual addresses, and every invalid one) gets
``email_validator.validate_email(..., check_deliverability=False)``'s verdict and message,
cached since junk values ("n/a", "-") repeat; two frequent invalid shapes (no @ at all, no
period after it) are answered with its exact sentence without calling it.

Layout of ``ValidatedChunk.valid`` (private to validate, dedup and leads; other stages may
rely on ``row``, ``key`` and ``email`` only):

==========  ==================================================================================
``row``     int64, spreadsheet row number
``key``     str, the dedup key (trimmed email, lowercased)
``email``   str, the trimmed email as written
``source``  str, trimmed source cell, else ``LeadDefaults.source``
``status``  str or None, lowercased status cell, else ``LeadDefaults.status``
``src``     the chunk's :class:`RowSource` (the same object on every row of a chunk)
``pos``     int64, the row's position in ``src.frame``
==========  ==================================================================================

Pass-through cells (names, company, custom fields, tags, ...) are not copied: ``src``/``pos``
point at them in the reader's frame, and ``leads.to_leads`` trims, drops blanks and splits
tags for the rows it builds. No rule depends on those cells and a dry run never builds a
lead, so copying and trimming them here would be pure cost (about 40% of this stage).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import email_validator
import numpy as np
import pandas as pd

from foxreach_cli.errors import UsageError
from foxreach_cli.mapping import Mapping
from foxreach_cli.models import (
    LEAD_FIELDS,
    LEAD_STATUSES,
    ROW_ERROR_COLUMN,
    STATUS_TRANSLATIONS,
    Chunk,
)

_STATUS_LIST = ", ".join(LEAD_STATUSES)
_STATUS_SET = frozenset(LEAD_STATUSES)

# RFC 5322 atext, exactly as email-validator's DOT_ATOM_TEXT (ASCII).
_ATEXT = r"A-Za-z0-9_!#$%&'*+\-/=?^`{|}~"
_SPECIAL_USE = "|".join(
    re.escape(d) for d in sorted(email_validator.SPECIAL_USE_DOMAIN_NAMES, key=len, reverse=True)
)
#: The longest address the fast path accepts; longer ones go to email-validator.
FAST_MAX_LENGTH = 64
# atext plus the non-ASCII letters and digits (``\w`` is [A-Za-z0-9_] plus every Unicode
# letter and digit: categories L and N, which email-validator's unsafe-character check lets
# through in an internationalised local part).
_LOCAL_CHAR = r"[\w!#$%&'*+\-/=?^`{|}~]"
#: One line of the joined emails that email-validator surely accepts (see module doc),
#: newline included; a line with non-ASCII characters must pass :func:`_intl_ok` too.
#: Possessive quantifiers keep matching linear.
_FAST_LINE = re.compile(
    rf"(?m)^(?=[^\n]{{1,{FAST_MAX_LENGTH}}}\n)"
    rf"{_LOCAL_CHAR}++(?:\.{_LOCAL_CHAR}++)*+"
    r"@(?:[A-Za-z0-9]++(?:-[A-Za-z0-9]++)*+\.)++"
    rf"(?!(?i:{_SPECIAL_USE})\n)[A-Za-z]{{2,}}+\n"
)


@dataclass(frozen=True)
class LeadDefaults:
    """Values applied to every lead of a run (``--source``, ``--status``, ``--tag``).

    Normalised on creation: source trimmed (must not be blank), status lowercased (must be
    one of ``models.LEAD_STATUSES``), tags trimmed with blanks and repeats dropped.
    """

    source: str = "csv_import"
    status: str | None = None  # applied where the row has none
    tags: tuple[str, ...] = ()  # added to every lead (after the row's own tags)

    def __post_init__(self) -> None:
        source = self.source.strip()
        if not source:
            raise UsageError("--source must not be empty; give a name such as csv_import.")
        object.__setattr__(self, "source", source)
        if self.status is not None:
            status = self.status.strip().lower()
            if status not in _STATUS_SET:
                raise UsageError(
                    f"--status '{self.status}' is not valid; use one of {_STATUS_LIST}."
                )
            object.__setattr__(self, "status", status)
        object.__setattr__(self, "tags", tuple(dict.fromkeys(_clean_tags(self.tags))))


def _clean_tags(tags: Iterable[str]) -> list[str]:
    cleaned = [t.strip() for t in tags]
    return [t for t in cleaned if t]


#: The defaults of a run given no --source, --status or --tag.
DEFAULT_LEAD_DEFAULTS = LeadDefaults()


@dataclass(frozen=True, eq=False)
class RowSource:
    """Where the pass-through cells of one chunk's valid rows live (see module doc)."""

    frame: pd.DataFrame = field(repr=False)  # the reader's frame, as given
    fields: tuple[tuple[str, str], ...]  # (lead field, frame key), in API order
    custom: tuple[tuple[str, str], ...]  # (customFields key, frame key), in column order
    tags: tuple[str, ...]  # frame keys of tags columns
    default_tags: tuple[str, ...]  # LeadDefaults.tags
    full_name: str | None = None  # frame key of a full-name column to split (Mapping.split_name)


@dataclass
class ValidatedChunk:
    """One chunk split into valid leads and rejected rows (see the module doc for layouts)."""

    file: str
    valid: pd.DataFrame  # row, key, email, ... (private layout, module doc)
    invalid: pd.DataFrame  # row (int64), email (trimmed, "" when none), reason


def validate_chunk(
    chunk: Chunk, mapping: Mapping, defaults: LeadDefaults = DEFAULT_LEAD_DEFAULTS
) -> ValidatedChunk:
    """Trim, check and normalise one chunk; every row ends in ``valid`` or ``invalid``."""
    frame = chunk.frame
    n = len(frame)
    rows = np.asarray(chunk.rows, dtype=np.int64)
    if len(rows) != n:
        raise ValueError(f"chunk of {chunk.file} has {n} rows but {len(rows)} row numbers")
    reason = np.full(n, None, dtype=object)  # None while the row is still valid

    if ROW_ERROR_COLUMN in frame.columns:
        err = _trimmed(frame[ROW_ERROR_COLUMN])
        has_err = err != ""
        reason[has_err] = err[has_err]

    email = _trimmed(frame[mapping.email_column])
    joined = _join_lines(email)
    if "\nnull\n" in joined or "\nNULL\n" in joined:  # HubSpot's "no value"
        email = _null_is_blank(email)
        joined = _join_lines(email)
    blank = email == ""
    if blank.any():
        idx = np.flatnonzero(blank & _is_none(reason))
        empty = _all_blank(frame, idx)
        reason[idx[empty]] = "empty row"
        reason[idx[~empty]] = "missing email"

    fast = _fast_mask(email, joined)
    for i in np.flatnonzero(~fast & ~blank & _is_none(reason)):
        verdict = _slow_verdict(email[i])
        if verdict is not None:
            reason[i] = "invalid email: " + verdict

    fields = mapping.field_columns()
    status = _constant(defaults.status, n)
    if "status" in fields:
        status_raw = _null_is_blank(_trimmed(frame[fields["status"]]))
        given = np.flatnonzero(status_raw != "")
        lowered = np.fromiter(map(_status_of, status_raw[given]), dtype=object, count=len(given))
        ok = np.fromiter(map(_STATUS_SET.__contains__, lowered), dtype=bool, count=len(given))
        status[given] = lowered
        bad = given[~ok]
        bad = bad[_is_none(reason[bad])]
        reason[bad] = [f"status '{v}' is not one of {_STATUS_LIST}" for v in status_raw[bad]]

    ok_rows = _is_none(reason)
    vi = np.flatnonzero(ok_rows)
    ii = np.flatnonzero(~ok_rows)
    m = len(vi)

    if "source" in fields:
        source = _null_is_blank(_trimmed(frame[fields["source"]]))[vi]
        source[source == ""] = defaults.source
    else:
        source = _constant(defaults.source, m)
    keys = _lower_lines(joined, email)
    src = RowSource(
        frame=frame,
        fields=tuple(
            (f, fields[f]) for f in LEAD_FIELDS if f in fields and f not in _COMPUTED_FIELDS
        ),
        custom=tuple(mapping.custom_columns()),
        tags=tuple(mapping.tag_columns()),
        default_tags=defaults.tags,
        full_name=mapping.split_name,
    )
    valid = _frame(
        {
            "row": rows[vi],
            "key": keys[vi],
            "email": email[vi],
            "source": source,
            "status": status[vi],
            "src": _constant(src, m),
            "pos": vi.astype(np.int64),
        }
    )
    invalid = _frame({"row": rows[ii], "email": email[ii], "reason": reason[ii]})
    return ValidatedChunk(file=chunk.file, valid=valid, invalid=invalid)


_COMPUTED_FIELDS = frozenset({"email", "source", "status"})


# --------------------------------------------------------------------------------------------
# Email
# --------------------------------------------------------------------------------------------


def fast_email_mask(emails: Iterable[str]) -> np.ndarray:
    """For each (trimmed) email: does the vectorised fast path accept it?

    True only where email-validator surely accepts the address too (the tests hold it to
    that); False means "ask email-validator", not "invalid".
    """
    values = np.fromiter(emails, dtype=object)
    return _fast_mask(values, _join_lines(values)) & (values != "")


def _slow_verdict(email: str) -> str | None:
    """The verdict on an address the fast path did not accept (``None``: valid).

    Two common shapes of invalid text are answered here with email-validator's exact
    sentence (the tests compare), because a whole column of them (a mis-mapped column, an
    internal export) would otherwise cost ~50 µs a row: text with no @ at all, and a plain
    address whose domain has no period. The rest is email-validator's (cached) verdict.
    """
    if not any(c in email for c in _SPLIT_SPECIALS):
        # email-validator splits at the first unquoted @ or <; with neither, it always fails
        # with this sentence (its full-width @ checks aside, excluded here).
        return _NO_AT_SIGN
    if _NO_PERIOD_EMAIL.match(email) is not None:
        return _NO_PERIOD
    return email_verdict(email)


_SPLIT_SPECIALS = ("@", "<", "\uff20", "\ufe6b")
_NO_AT_SIGN = "An email address must have an @-sign."
_NO_PERIOD = "The part after the @-sign is not valid. It should have a period."
#: A plain ASCII address whose domain is one valid label (email-validator's period check is
#: the first it fails: local part, characters, hyphens and lengths all pass before it).
_NO_PERIOD_EMAIL = re.compile(
    rf"(?=.{{1,{FAST_MAX_LENGTH}}}\Z)[{_ATEXT}]++(?:\.[{_ATEXT}]++)*+"
    r"@[A-Za-z0-9]++(?:-[A-Za-z0-9]++)*+\Z",
    re.DOTALL,
)


@lru_cache(maxsize=65536)
def email_verdict(email: str) -> str | None:
    """email-validator's verdict on one address without DNS: ``None`` if valid, else its reason.

    Cached: rejected values repeat a lot in real lists ("n/a", "-", "none").
    """
    try:
        email_validator.validate_email(email, check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        return str(exc)
    return None


def _join_lines(values: np.ndarray) -> str:
    """``"\\n" + "\\n".join(values) + "\\n"``, with any newline inside a value made a space.

    Values are matched line by line, so a value must not contain a newline of its own; one
    that does is never a valid email, and a space keeps it off the fast path all the same.
    """
    joined = "\n" + "\n".join(values) + "\n"
    if joined.count("\n") != len(values) + 1:
        joined = "\n" + "\n".join(v.replace("\n", " ") for v in values) + "\n"
    return joined


def _fast_mask(values: np.ndarray, joined: str) -> np.ndarray:
    """The fast path over one chunk: :data:`_FAST_LINE` on the joined text, then
    :func:`_intl_ok` on the few accepted lines that are not ASCII. Blank values come out
    True (callers mask blanks out)."""
    n = len(values)
    # Each accepted line collapses to its bare newline; what is left is short, so find the
    # empty lines with numpy on its code points rather than splitting it into n strings.
    rest = _FAST_LINE.sub("\n", joined)
    if len(rest) == n + 1:
        fast = np.ones(n, dtype=bool)
    else:
        codes = np.frombuffer(rest.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        newlines = np.flatnonzero(codes == 10)
        if len(newlines) != n + 1:  # cannot happen; never trust a path that lost alignment
            return np.zeros(n, dtype=bool)
        fast = np.diff(newlines) == 1
    if not joined.isascii():
        accepted = np.flatnonzero(fast)
        for i in accepted[~np.fromiter(map(str.isascii, values[accepted]), bool, len(accepted))]:
            fast[i] = _intl_ok(values[i])
    return fast


def _intl_ok(email: str) -> bool:
    # email-validator re-validates the NFC form of a local part (which may then fail) and
    # limits the address to 254 UTF-8 bytes: 63 characters of at most 4 bytes always fit.
    return len(email) < FAST_MAX_LENGTH and unicodedata.is_normalized("NFC", email)


def _lower_lines(joined: str, values: np.ndarray) -> np.ndarray:
    """``values`` lowercased, in one C call over the joined text where that is safe."""
    # str.lower is per character except Greek final sigma, whose context stops at "\n"
    # (not case-ignorable), so lowering the joined text equals lowering each value.
    lines = joined.lower().split("\n")[1:-1]
    if len(lines) != len(values):
        return np.fromiter(map(str.lower, values), dtype=object, count=len(values))
    out = np.empty(len(lines), dtype=object)
    out[:] = lines
    return out


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _trimmed(col: pd.Series) -> np.ndarray:
    """The cells trimmed, as an object array of str; missing cells become ""."""
    arr = col.to_numpy(dtype=object, na_value="")
    try:
        return np.fromiter(map(str.strip, arr), dtype=object, count=len(arr))
    except TypeError:
        # Readers give text only; be forgiving if a number slips through.
        return np.fromiter((str(v).strip() for v in arr), dtype=object, count=len(arr))


def _is_none(arr: np.ndarray) -> np.ndarray:
    return np.equal(arr, None)


def _all_blank(frame: pd.DataFrame, idx: np.ndarray) -> np.ndarray:
    """For the rows ``idx``: is every cell (the reader's error column aside) blank?"""
    blank = np.ones(len(idx), dtype=bool)
    for col in frame.columns:
        if col != ROW_ERROR_COLUMN and len(idx):
            blank &= _trimmed(frame[col].iloc[idx]) == ""
    return blank


def _constant(value: object, n: int) -> np.ndarray:
    arr = np.empty(n, dtype=object)
    arr.fill(value)
    return arr


def _frame(data: dict[str, np.ndarray]) -> pd.DataFrame:
    """A DataFrame from arrays without copying or re-inferring string dtypes (costly)."""
    cols = {
        name: pd.Series(values, dtype=None if values.dtype.kind == "i" else object, copy=False)
        for name, values in data.items()
    }
    return pd.DataFrame(cols, copy=False)


# --------------------------------------------------------------------------------------------
# Export clean-up (issue 13)
# --------------------------------------------------------------------------------------------


def _null_is_blank(values: np.ndarray) -> np.ndarray:
    """``values`` with cells of exactly null/NULL (HubSpot's "no value") made ""."""
    # One C-speed substring search settles the usual case (no such cell) for the chunk.
    joined = "\n" + "\n".join(values) + "\n"
    if "\nnull\n" in joined or "\nNULL\n" in joined:
        values = values.copy()
        values[(values == "null") | (values == "NULL")] = ""
    return values


def _status_of(cell: str) -> str:
    """A status cell lowercased, with another tool's list status translated."""
    lowered = cell.lower()
    return STATUS_TRANSLATIONS.get(lowered, lowered)
