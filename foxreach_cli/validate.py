"""The VALIDATE stage: normalise one chunk and split it into valid leads and rejected rows.

Vectorised: no Python loop over rows except for the rare emails the fast path cannot settle.
Each rejected row gets the reason code of the first rule that applies (:mod:`reasons`, never a
sentence); statuses are translated, opt-out columns applied and every other column checked for
a cell that is an opt-out word (:mod:`optouts`); an empty
email cell takes the mapping's fallback columns. The rules, the email fast path and why it is
safe, and the layout of ``ValidatedChunk``: docs/validation.md.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import email_validator
import numpy as np
import pandas as pd

from foxreach_cli import defaults
from foxreach_cli.cell_rules import blank_nulls, has_null_line
from foxreach_cli.mapping import Mapping
from foxreach_cli.object_arrays import is_none
from foxreach_cli.optouts import (
    STATUS_OF,
    UNSUBSCRIBED,
    FoundOptOut,
    opt_out_cells,
    row_opt_outs,
    strongest,
)
from foxreach_cli.reasons import ReasonCode, decode_cell
from foxreach_cli.stage_data import LEAD_FIELDS, ROW_ERROR_COLUMN, Chunk
from foxreach_cli.text_fold import fold_column

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
#: :data:`_FAST_LINE` for a text that is all ASCII, where ``\w`` means the same: sre's ASCII
#: character tests are cheaper than its Unicode ones.
_FAST_LINE_ASCII = re.compile(_FAST_LINE.pattern, re.ASCII)


@dataclass(frozen=True)
class LeadDefaults:
    """Values applied to every lead of a run (``--source``, ``--status``, ``--tag``), already
    normalised by the run's config: source trimmed, status lowercased, tags unique."""

    source: str = defaults.SOURCE
    status: str | None = None  # applied where the row has none
    tags: tuple[str, ...] = ()  # added to every lead (after the row's own tags)


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
    valid: pd.DataFrame  # row, key, email, source, status, pos (module doc)
    invalid: pd.DataFrame  # row (int64), email (trimmed, "" when none), code, params
    cells: RowSource  # where ``valid.pos`` points: the pass-through cells of the chunk
    #: Rows whose email came from another email column (its cell in the email column was
    #: empty): header of that column -> rows (``Mapping.email_fallbacks``).
    email_from: dict[str, int] = field(default_factory=dict)
    #: Rows of ``valid`` that a column not read for opt-outs made opted out (a cell that is
    #: an opt-out word): header of that column -> those rows.
    opt_outs_found: dict[str, FoundOptOut] = field(default_factory=dict)
    #: Rows of ``valid`` whose marketing-permission cell says no: header -> those rows.
    consent_no: dict[str, int] = field(default_factory=dict)


def validate_chunk(
    chunk: Chunk, mapping: Mapping, defaults: LeadDefaults = DEFAULT_LEAD_DEFAULTS
) -> ValidatedChunk:
    """Trim, check and normalise one chunk; every row ends in ``valid`` or ``invalid``."""
    frame = chunk.frame
    n = len(frame)
    rows = np.asarray(chunk.rows, dtype=np.int64)
    if len(rows) != n:
        raise ValueError(f"chunk of {chunk.file} has {n} rows but {len(rows)} row numbers")
    reason = np.full(n, None, dtype=object)  # the ReasonCode; None while the row is valid
    params = np.full(n, "", dtype=object)  # the reason's packed parameters (reasons.SEP)

    if ROW_ERROR_COLUMN in frame.columns:
        err = _trimmed(frame[ROW_ERROR_COLUMN])
        for i in np.flatnonzero(err != ""):
            why = decode_cell(err[i])
            reason[i], params[i] = why.code, why.packed()

    email = _trimmed(frame[mapping.email_column])
    joined = _join_lines(email)
    if has_null_line(joined):  # HubSpot's "no value"
        email = blank_nulls(email)
        joined = _join_lines(email)
    blank = email == ""
    email_from: dict[str, int] = {}
    if mapping.email_fallbacks and blank.any():
        for key in mapping.email_fallbacks:
            idx = np.flatnonzero(blank)
            if not len(idx):
                break
            other = blank_nulls(_trimmed(frame[key].iloc[idx]))
            filled = other != ""
            if filled.any():
                email[idx[filled]] = other[filled]
                blank[idx[filled]] = False
                email_from[_header_of(mapping, key)] = int(filled.sum())
        joined = _join_lines(email)
    if blank.any():
        idx = np.flatnonzero(blank & is_none(reason))
        empty = _all_blank(frame, idx)
        reason[idx[empty]] = ReasonCode.EMPTY_ROW
        reason[idx[~empty]] = ReasonCode.MISSING_EMAIL

    fast = _fast_mask(email, joined)
    for i in np.flatnonzero(~fast & ~blank & is_none(reason)):
        verdict = _slow_verdict(email[i])
        if verdict is not None:
            reason[i], params[i] = ReasonCode.INVALID_EMAIL, verdict

    fields = mapping.field_columns()
    status = _constant(defaults.status, n)
    bad = np.empty(0, dtype=np.intp)
    if "status" in fields:
        status_raw = blank_nulls(_trimmed(frame[fields["status"]]))
        forms = fold_column(status_raw)  # case, spacing, invisible characters, look-alikes aside
        given = np.flatnonzero(forms != "")
        meant = np.fromiter(map(STATUS_OF.get, forms[given]), dtype=object, count=len(given))
        ok = ~is_none(meant)
        status[given[ok]] = meant[ok]
        bad = given[~ok]
        bad = bad[is_none(reason[bad])]
        reason[bad] = ReasonCode.BAD_STATUS
        params[bad] = status_raw[bad]
    said = row_opt_outs(frame, mapping.opt_outs) if mapping.opt_outs else None
    found = opt_out_cells(frame, _unread_columns(mapping, fields))
    if said is not None or found:
        opt_status = strongest(
            ([said.status] if said is not None else []) + list(found.values()), n
        )
        opted = ~is_none(opt_status)
        status[opted] = opt_status[opted]  # an opt-out beats the status cell and --status
        cleared = bad[opted[bad]]
        reason[cleared] = None  # whatever the status cell said, the lead is opted out
        params[cleared] = ""
        if said is not None:
            doubt = np.flatnonzero(~is_none(said.doubt) & ~opted & is_none(reason))
            reason[doubt] = ReasonCode.BAD_OPT_OUT
            params[doubt] = said.doubt[doubt]

    ok_rows = is_none(reason)
    consent_no = {
        _header_of(mapping, key): int(np.count_nonzero(no & ok_rows))
        for key, no in (said.said_no.items() if said is not None else ())
    }
    opt_outs_found: dict[str, FoundOptOut] = {}
    for key, means in found.items():
        hit = np.flatnonzero(~is_none(means) & ok_rows)
        if len(hit):
            unsub = int(np.count_nonzero(status[hit] == UNSUBSCRIBED))
            first = str(frame[key].iat[hit[0]]).strip()
            opt_outs_found[_header_of(mapping, key)] = FoundOptOut(
                unsub, len(hit) - unsub, int(rows[hit[0]]), first
            )
    vi = np.flatnonzero(ok_rows)
    ii = np.flatnonzero(~ok_rows)
    m = len(vi)

    if "source" in fields:
        source = blank_nulls(_trimmed(frame[fields["source"]]))[vi]
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
            "pos": vi.astype(np.int64),
        }
    )
    invalid = _frame(
        {"row": rows[ii], "email": email[ii], "code": reason[ii], "params": params[ii]}
    )
    return ValidatedChunk(
        file=chunk.file,
        valid=valid,
        invalid=invalid,
        cells=src,
        email_from=email_from,
        opt_outs_found=opt_outs_found,
        consent_no={h: n for h, n in consent_no.items() if n},
    )


def _header_of(mapping: Mapping, key: str) -> str:
    return next((cm.header for cm in mapping.columns if cm.column == key), key)


def _unread_columns(mapping: Mapping, fields: dict[str, str]) -> list[str]:
    """Frame keys of the columns not already read as an email, the status or an opt-out
    column, that can carry an opt-out (those --unmapped ignores included: an opt-out is never
    lost); never one of who the lead is (``Mapping.not_scanned``: a surname ``Bounce``)."""
    read = {mapping.email_column, *mapping.email_fallbacks, *(o.column for o in mapping.opt_outs)}
    read.update(mapping.not_scanned)
    if "status" in fields:
        read.add(fields["status"])
    return [cm.column for cm in mapping.columns if cm.column not in read]


_COMPUTED_FIELDS = frozenset({"email", "source", "status"})


# --------------------------------------------------------------------------------------------
# Email
# --------------------------------------------------------------------------------------------


def _slow_verdict(email: str) -> str | None:
    """The verdict on an address the fast path did not accept (``None``: valid).

    Two common shapes of invalid text are answered here with email-validator's exact
    sentence (the tests compare), because a whole column of them (a mis-mapped column, an
    internal export) would otherwise cost an email-validator call a row (docs/validation.md):
    text with no @ at all, and a plain address whose domain has no period. The rest is
    email-validator's (cached) verdict.
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
    """The fast path over one chunk: on ASCII text, :func:`_plain_lines` with numpy first and
    :data:`_FAST_LINE` on the lines it leaves; then :func:`_intl_ok` on the few accepted lines
    that are not ASCII. Blank values come out True (callers mask blanks out)."""
    if not joined.isascii() or not len(values):  # no values: "\n\n" holds no line
        return _pattern_mask(values, joined, _FAST_LINE)
    plain = _plain_lines(joined, len(values))
    left = np.flatnonzero(~plain)
    if len(left):
        rest = values[left]
        plain[left] = _pattern_mask(rest, _join_lines(rest), _FAST_LINE_ASCII)
    return plain


def _pattern_mask(values: np.ndarray, joined: str, pattern: re.Pattern[str]) -> np.ndarray:
    """:data:`_FAST_LINE` (``pattern``: its ASCII or its Unicode form) on the joined text,
    then :func:`_intl_ok` on the accepted lines that are not ASCII. Blank values come out
    True."""
    n = len(values)
    # Each accepted line collapses to its bare newline; what is left is short, so find the
    # empty lines with numpy on its code points rather than splitting it into n strings.
    rest = pattern.sub("\n", joined)
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


def _plain_lines(joined: str, n: int) -> np.ndarray:
    """Per line of an ASCII ``joined`` (``_join_lines``' layout, ``n`` lines): is it a plain
    address that :data:`_FAST_LINE` surely accepts? A few numpy passes over its bytes instead
    of a regex step per character, for the common shape only: letters, digits, dots and
    inner hyphens, one ``@``. False means "ask the pattern", never "invalid".

    A line is plain when all of these hold, and then the pattern accepts it (docs/
    validation.md): 1 to 64 characters; only ``[A-Za-z0-9.@-]``; exactly one ``@``; no dot
    first, none before or after the ``@`` and no two in a row (so the local part and every
    label are dot-separated runs); every hyphen between two letters or digits (so no label
    starts or ends with one, and none doubles); the line ends with a dot and 2 to
    :data:`_PLAIN_TLD` letters (an all-letter top-level domain, after the ``@`` since no
    ``@`` is among them) that is not a special-use name.
    """
    data = joined.encode("ascii")
    kind = np.frombuffer(data.translate(_PLAIN_KINDS), dtype=np.uint8)
    ends = np.flatnonzero(kind == _NL)  # n + 1: each line is between two
    starts, ends = ends[:-1] + 1, ends[1:]
    plain = (ends - starts >= 1) & (ends - starts <= FAST_MAX_LENGTH)
    # One @ a line: the text's @ and newlines alone read "\n@\n@\n...".
    marks = np.frombuffer(data.translate(None, _NOT_AT_OR_NEWLINE), dtype=np.uint8)
    plain &= np.diff(np.flatnonzero(marks == _NL_BYTE)) == 2
    # Characters and neighbours a plain line never has, each found in a pass or two. The
    # kinds are numbered so that one comparison picks each set: a dot or @ after a dot, an @
    # or a line's start (.. @. \n. .@ \n@, and @@, which one @ a line rules out anyway).
    bad = kind == _OTHER
    bad[1:] |= ((kind[1:] - _AT) < 2) & (kind[:-1] >= _AT)
    hyphen = np.flatnonzero(kind[1:-1] == _HYPHEN) + 1
    around = (kind[hyphen - 1] > _DIGIT) | (kind[hyphen + 1] > _DIGIT)  # not letter or digit
    bad[hyphen[around]] = True
    plain[np.searchsorted(ends, np.flatnonzero(bad))] = False  # a newline is its line's end
    # The top-level domain: letters back from the line's end to a dot.
    tld = np.zeros(n, dtype=np.int64)
    open_ = np.flatnonzero(plain)
    for k in range(1, _PLAIN_TLD + 2):
        at = kind[ends[open_] - k]
        dot = at == _DOT
        tld[open_[dot]] = k - 1
        open_ = open_[at == _LETTER]
        if not len(open_):
            break
    plain &= tld >= 2  # 0: no dot within reach, or a character that is not a letter
    # Special-use names, compared letter by letter (ASCII letters | 0x20 are lowercase) on
    # the lines whose top-level domain has a name's length.
    text = np.frombuffer(data, dtype=np.uint8)
    for name in _SPECIAL_NAMES:
        same = np.flatnonzero(plain & (tld == len(name)))
        for k, letter in enumerate(name):
            if not len(same):
                break
            same = same[(text[ends[same] - len(name) + k] | 0x20) == letter]
        plain[same] = False
    return plain


# The character kinds :func:`_plain_lines` reads (one byte each, by bytes.translate).
_OTHER, _LETTER, _DIGIT, _HYPHEN, _AT, _DOT, _NL = range(7)
_PLAIN_KINDS = bytes(
    _LETTER
    if chr(b).isascii() and chr(b).isalpha()
    else _DIGIT
    if chr(b).isdigit() and b < 128
    else {ord("-"): _HYPHEN, ord("."): _DOT, ord("@"): _AT, ord("\n"): _NL}.get(b, _OTHER)
    for b in range(256)
)
_NOT_AT_OR_NEWLINE = bytes(b for b in range(256) if b not in b"@\n")
_NL_BYTE = ord("\n")
#: The longest top-level domain a plain line may end with (longer ones go to the pattern).
_PLAIN_TLD = 12
#: The special-use names the pattern refuses as a top-level domain, lowercase ASCII (one of
#: more labels can never be an all-letter top-level domain).
_SPECIAL_NAMES = tuple(
    d.lower().encode() for d in email_validator.SPECIAL_USE_DOMAIN_NAMES if "." not in d
)


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
