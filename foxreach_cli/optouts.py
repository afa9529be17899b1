"""Opt-outs: which columns say that a lead unsubscribed or bounced, and what each row says.

Three kinds of column say it: a yes/no ``flag`` (``HasOptedOutOfEmail``), a ``when`` (a date or
reason such as ``EmailBouncedDate``) and a ``status``-like column that does not fill the lead's
status. Every other column is checked too (:func:`opt_out_cells`): a cell that is exactly an
opt-out word (``Unsubscribed`` in a ``Stage`` column at row 5000) says it as well. Every row is
checked, vectorised over the chunk; an opt-out beats the status cell and ``--status``, and
``unsubscribed`` wins over ``bounced``. An opt-out must never be lost: the rules and the
reasons, docs/mapping.md ("Opt-outs").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from foxreach_cli.reasons import SEP
from foxreach_cli.sniff import (
    compare_forms,
    has_phrase,
    header_words,
)
from foxreach_cli.stage_data import LEAD_STATUSES, STATUS_TRANSLATIONS

OptOutKind = Literal["flag", "when", "status"]
OptOutStatus = Literal["unsubscribed", "bounced"]

UNSUBSCRIBED: OptOutStatus = "unsubscribed"
BOUNCED: OptOutStatus = "bounced"

#: Cell values (compare form) that are an opt-out wherever a status is written.
OPT_OUT_WORDS: dict[str, OptOutStatus] = {
    **dict.fromkeys(
        [
            "unsubscribed",
            "unsubscribe",
            "opted out",
            "opted-out",
            "optedout",
            "opt-out",
            "opt out",
            "optout",
            "do not email",
            "do not contact",
            "complained",
            "abgemeldet",
            "désabonné",
            "desabonne",
        ],
        UNSUBSCRIBED,
    ),
    **dict.fromkeys(
        ["bounced", "bounce", "cleaned", "hard bounce", "hard bounced", "hard-bounced"], BOUNCED
    ),
}

#: What a status cell (compare form) means: a lead status, another tool's word for one
#: (``stage_data.STATUS_TRANSLATIONS``) or an opt-out word.
STATUS_OF: dict[str, str] = {
    **{status: status for status in LEAD_STATUSES},
    **STATUS_TRANSLATIONS,
    **OPT_OUT_WORDS,
}

#: Flag cells (compare form) that say yes; a positive number or a date says yes too.
YES = frozenset(
    [
        "true",
        "yes",
        "y",
        "t",
        "1",
        "x",
        "✓",
        "✔",
        "☑",
        "✅",
        "on",
        "checked",
        "ja",
        "oui",
        "si",
        "sí",
        "1.0",
    ]
) | set(OPT_OUT_WORDS)
#: Cells (compare form) that say no (or nothing) in an opt-out column.
NO = frozenset(
    [
        "false",
        "no",
        "n",
        "f",
        "0",
        "0.0",
        "off",
        "unchecked",
        "nein",
        "non",
        "-",
        "--",
        "n/a",
        "na",
        "none",
        "never",
        "✗",
        "✘",
        "☐",
        "null",
    ]
) | {""}
_DATE_OR_COUNT = re.compile(r"\+?0*[1-9]\d*(?:\.0+)?|\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}.*")


@dataclass(frozen=True)
class OptOutColumn:
    """One column that can say a lead opted out, and how to read it (plain data: a saved
    mapping replays it)."""

    header: str  # as written in the file
    column: str  # the frame key
    kind: OptOutKind
    #: What a yes means for "flag" and "when"; None for "status" (each cell says which).
    means: OptOutStatus | None
    how: str  # the evidence, for a person


# --------------------------------------------------------------------------------------------
# Which columns (from the header)
# --------------------------------------------------------------------------------------------

_UNSUB_WORDS = frozenset(
    [
        "unsubscribed",
        "unsubscribe",
        "unsubscribes",
        "unsub",
        "optout",
        "optedout",
        "abgemeldet",
        "desabonne",
        "desinscrito",
        "donotemail",
        "blacklisted",
        "blocklisted",
    ]
)
_UNSUB_PHRASES = ("opted out", "opt out", "do not email", "dont email")
_BOUNCE_WORDS = frozenset(["bounced", "bounce", "bounces", "hardbounce", "cleaned", "quarantined"])
_BOUNCE_PHRASES = ("clean time", "invalid email", "email invalid")
#: Words that make an opt-out-looking header about something else: another channel, a link
#: everyone has, a soft bounce, an aggregate rate.
_NOT_EMAIL_OPT_OUT = frozenset(
    [
        "sms",
        "fax",
        "phone",
        "call",
        "calls",
        "text",
        "whatsapp",
        "mobile",
        "postal",
        "url",
        "link",
        "href",
        "soft",
        "rate",
        "enrichment",
        "tracking",
        "cookie",
        "cookies",
    ]
)
#: Words that make an opt-out header a date or a reason ("when") rather than a yes/no flag.
_WHEN_WORDS = frozenset(
    ["date", "time", "at", "on", "when", "timestamp", "datum", "reason", "campaign", "title"]
)
#: Words of a status-like header. A consent or subscription column (Klaviyo's "Email
#: Marketing Consent", a "Subscription" of subscribed/unsubscribed) is one too: its opt-out
#: may sit far below the sampled rows, which alone would not show it to be one.
STATUS_WORDS = frozenset(
    [
        "status",
        "state",
        "statut",
        "estado",
        "stato",
        "zustand",
        "consent",
        "subscription",
        "subscriptions",
        "subscribed",
    ]
)


def opt_out_header(header: str) -> tuple[OptOutStatus, OptOutKind] | None:
    """What a header says a yes in its column means, and how the column is read; None when
    the header names no email opt-out or bounce."""
    words = header_words(header)
    if not words or _NOT_EMAIL_OPT_OUT.intersection(words):
        return None
    if _UNSUB_WORDS.intersection(words) or any(has_phrase(words, p) for p in _UNSUB_PHRASES):
        means: OptOutStatus = UNSUBSCRIBED
    elif _BOUNCE_WORDS.intersection(words) or any(has_phrase(words, p) for p in _BOUNCE_PHRASES):
        means = BOUNCED
    else:
        return None
    return means, ("when" if _WHEN_WORDS.intersection(words) else "flag")


def status_like(header: str) -> bool:
    """Does the header name a status of some kind (``Status``, ``Lead Status``, ``state``,
    ``Email Marketing Consent``, ``Subscription``)?"""
    return bool(STATUS_WORDS.intersection(header_words(header)))


# --------------------------------------------------------------------------------------------
# What each row says (vectorised)
# --------------------------------------------------------------------------------------------


@dataclass
class RowOptOuts:
    """Per row of a chunk: the opt-out status it says (None: none) and, for rows an opt-out
    column puts in doubt, the reason they are rejected (None elsewhere)."""

    status: np.ndarray  # object: "unsubscribed", "bounced" or None
    doubt: np.ndarray  # object: packed parameters of reason "bad_opt_out", or None


def row_opt_outs(frame: pd.DataFrame, columns: Sequence[OptOutColumn]) -> RowOptOuts:
    """Read every opt-out column of one chunk (see the module doc for the rules)."""
    n = len(frame)
    unsub = np.zeros(n, dtype=bool)
    bounce = np.zeros(n, dtype=bool)
    doubt = np.full(n, None, dtype=object)
    for oc in columns:
        raw = _text(frame[oc.column])
        cells = compare_forms(raw)
        if oc.kind == "status":
            means = np.fromiter(map(OPT_OUT_WORDS.get, cells), dtype=object, count=n)
            unsub |= means == UNSUBSCRIBED
            bounce |= means == BOUNCED
            continue
        no = _member(cells, NO)
        if oc.kind == "when":
            yes = ~no
        else:
            yes = _member(cells, YES)
            rest = np.flatnonzero(~yes & ~no)
            if len(rest):
                dated = np.fromiter(
                    (_DATE_OR_COUNT.fullmatch(c) is not None for c in cells[rest]),
                    dtype=bool,
                    count=len(rest),
                )
                yes[rest[dated]] = True
                odd = rest[~dated]
                odd = odd[np.equal(doubt[odd], _NONE)]
                # The parameters of reason "bad_opt_out", packed (reasons.SEP).
                doubt[odd] = [f"{oc.header}{SEP}{v.strip()}" for v in raw[odd]]
        (unsub if oc.means == UNSUBSCRIBED else bounce)[yes] = True
    return RowOptOuts(status=_status(unsub, bounce), doubt=doubt)


# --------------------------------------------------------------------------------------------
# Opt-out words in any other column (vectorised, with a prefilter)
# --------------------------------------------------------------------------------------------

#: ASCII lowercase, and the bytes :func:`_may_hold_opt_out_word` deletes: whitespace and
#: every byte of a non-ASCII character (invisible ones included).
_LOWER = bytes.maketrans(bytes(range(65, 91)), bytes(range(97, 123)))
_SKIPPED = b" \t\n\r\f\v" + bytes(range(128, 256))


def _stripped(text: str) -> bytes:
    """``text`` lowercased, without whitespace and without non-ASCII characters."""
    return text.encode("latin-1", "ignore").translate(_LOWER, _SKIPPED)


#: The opt-out words stripped so: by length (a lookup table) and by their first four bytes
#: (every one has at least four) read as one number.
_STRIPPED_WORDS = frozenset(_stripped(w) for w in OPT_OUT_WORDS)
_WORD_LENGTH = np.zeros(max(map(len, _STRIPPED_WORDS)) + 2, dtype=bool)
_WORD_LENGTH[[len(w) for w in _STRIPPED_WORDS]] = True
_WORD_HEADS = np.unique(np.frombuffer(b"".join(w[:4] for w in _STRIPPED_WORDS), dtype="<u4"))
_FOUR = np.arange(4)


@dataclass(frozen=True)
class FoundOptOut:
    """The rows of one chunk (or file) that a column not read for opt-outs made opted out:
    their count by the status they got, and the first of them with its cell as written."""

    unsubscribed: int
    bounced: int
    first_row: int
    first_value: str

    @property
    def rows(self) -> int:
        """All rows it opted out."""
        return self.unsubscribed + self.bounced

    def plus(self, other: FoundOptOut) -> FoundOptOut:
        """Both counts together; the first row of either."""
        first = self if self.first_row <= other.first_row else other
        return FoundOptOut(
            self.unsubscribed + other.unsubscribed,
            self.bounced + other.bounced,
            first.first_row,
            first.first_value,
        )


def opt_out_cells(frame: pd.DataFrame, columns: Iterable[str]) -> dict[str, np.ndarray]:
    """For each of ``columns`` (frame keys) holding a cell that, in compare form, IS an
    opt-out word (:data:`OPT_OUT_WORDS`; not a cell that merely contains one): what each cell
    says ("unsubscribed", "bounced" or None). Columns without such a cell are left out.

    A column with no :data:`OPT_OUT_STEMS` in its joined text (nearly all columns) costs a
    few C-level passes over it; only the others are put in compare form cell by cell.
    """
    found: dict[str, np.ndarray] = {}
    for key in columns:
        col = frame[key]
        cells = col.to_numpy(dtype=object)
        try:
            maybe = _may_hold_opt_out_word(cells)
        except TypeError:  # readers give text only; be forgiving all the same
            cells = _text(col)
            maybe = _may_hold_opt_out_word(cells)
        if not maybe:
            continue
        forms = compare_forms(cells)
        means = np.fromiter(map(OPT_OUT_WORDS.get, forms), dtype=object, count=len(forms))
        if not np.equal(means, _NONE).all():
            found[key] = means
    return found


def _may_hold_opt_out_word(cells: np.ndarray) -> bool:
    """False only when no cell's compare form is an opt-out word: a few C passes.

    A cell whose compare form is an opt-out word holds that word's ASCII characters (either
    case) with nothing between them but whitespace, characters that compare forms drop and
    the word's own non-ASCII letters; so stripped of those (:func:`_stripped`) it is the
    word stripped the same way. The cells are joined between ``|`` and stripped at once;
    numpy then finds the stripped cells of a word's length whose first four bytes begin a
    word. (No non-ASCII character lowercases to an ASCII letter of a word: the tests check.)
    """
    data = b"|" + _stripped("|".join(cells)) + b"|"
    arr = np.frombuffer(data, dtype=np.uint8)
    bars = np.flatnonzero(arr == ord("|"))
    lengths = np.diff(bars) - 1
    starts = bars[:-1][_WORD_LENGTH[np.minimum(lengths, len(_WORD_LENGTH) - 1)]] + 1
    if not len(starts):
        return False
    heads = arr[starts[:, None] + _FOUR].view("<u4").ravel()
    return bool(np.isin(heads, _WORD_HEADS).any())


def strongest(said: Iterable[np.ndarray], n: int) -> np.ndarray:
    """Per row, the strongest opt-out any of ``said`` (arrays of "unsubscribed", "bounced"
    or None, of length ``n``) holds: unsubscribed, else bounced, else None."""
    unsub = np.zeros(n, dtype=bool)
    bounce = np.zeros(n, dtype=bool)
    for means in said:
        unsub |= means == UNSUBSCRIBED
        bounce |= means == BOUNCED
    return _status(unsub, bounce)


def _status(unsub: np.ndarray, bounce: np.ndarray) -> np.ndarray:
    status = np.full(len(unsub), None, dtype=object)
    status[bounce] = BOUNCED
    status[unsub] = UNSUBSCRIBED  # the person's own request wins over a bounce
    return status


def _text(col: pd.Series) -> np.ndarray:
    """The cells as an object array of ``str`` (missing cells "")."""
    arr = col.to_numpy(dtype=object, na_value="")
    try:
        "".join(arr)  # a C-speed check that every cell is text (readers give text only)
    except TypeError:
        return np.fromiter((v if isinstance(v, str) else str(v) for v in arr), object, len(arr))
    return arr


def _member(cells: np.ndarray, words: frozenset[str]) -> np.ndarray:
    return np.fromiter(map(words.__contains__, cells), dtype=bool, count=len(cells))


#: None as the 0-d object array numpy makes of it in ``np.equal(arr, None)``; spelled out
#: because numpy's stubs type a ufunc's operands as arrays or scalars, never None.
_NONE = np.array(None, dtype=object)
