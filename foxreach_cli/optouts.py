"""Opt-outs: what each row says about an opt-out or a bounce, vectorised over a chunk.

Which columns are read is the mapping's decision (``mapping.status``). Five kinds of column
say it: a yes/no ``flag`` (``HasOptedOutOfEmail``, ``DoNotContact``), a ``when`` (a date or
reason such as ``EmailBouncedDate``; a zero date is no date), a ``status``-like column that does
not fill the lead's status, a ``subscription`` state (``Subscribed = FALSE``: a no
unsubscribes) and a marketing ``permission`` (a no is counted; it unsubscribes only under
--consent-required). Every other column that can carry an opt-out is checked too
(:func:`opt_out_cells`): a cell that is exactly an opt-out word (``Unsubscribed`` in a ``Stage``
column at row 5000) says it as well. Cells are compared in :mod:`foxreach_cli.text_fold`'s
compare form (any case, invisible characters, look-alike letters, trailing punctuation).
Every row is checked, vectorised over the chunk; an opt-out beats the status cell and
``--status``, and ``unsubscribed`` wins over ``bounced``. An opt-out must never be lost: the
rules and the reasons, docs/mapping.md ("Opt-outs").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from collections.abc import Mapping as AbcMapping
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import pandas as pd

from foxreach_cli.cell_rules import NULL_CELLS
from foxreach_cli.mapping.lexicon import lexicon
from foxreach_cli.mapping.result import OptOutColumn, OptOutStatus
from foxreach_cli.object_arrays import is_none
from foxreach_cli.reasons import SEP
from foxreach_cli.stage_data import LEAD_STATUSES
from foxreach_cli.text_fold import fold, fold_column, fold_text

_V = TypeVar("_V")

UNSUBSCRIBED: OptOutStatus = "unsubscribed"
BOUNCED: OptOutStatus = "bounced"


def _folded(words: Iterable[str]) -> frozenset[str]:
    """The lexicon's words in compare form, each also without its accents (a person typing
    ``desabonne`` means ``désabonné``)."""
    return frozenset(w for word in words for w in (fold(word), fold(_unaccented(word))))


def _unaccented(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))


def _folded_map(words: AbcMapping[str, _V]) -> dict[str, _V]:
    return {form: v for w, v in words.items() for form in _folded([w])}


#: Cell values (compare form) that are an opt-out wherever a status is written (the lexicon's).
OPT_OUT_WORDS: dict[str, OptOutStatus] = _folded_map(lexicon().opt_out_values)

#: What a status cell (compare form) means: a lead status, another tool's word for one
#: or an opt-out word.
STATUS_OF: dict[str, str] = {
    **{status: status for status in LEAD_STATUSES},
    **_folded_map(lexicon().status_translations),
    **OPT_OUT_WORDS,
}

#: Flag cells (compare form) that say yes (a positive number or a date says yes too), and
#: those that say no (or nothing) in an opt-out column.
YES = _folded(lexicon().yes) | set(OPT_OUT_WORDS)
NO = _folded(lexicon().no) | {""}
#: Cells of a subscription or permission column that say yes, and no; blank and null cells say
#: nothing (an empty cell where the column is otherwise filled is not a no).
CONSENT_YES = _folded(lexicon().yes | lexicon().consent.positive)
CONSENT_NO = _folded(lexicon().consent.negative)
_NOTHING = frozenset({""} | _folded(NULL_CELLS) | (NO - CONSENT_NO - CONSENT_YES))
_DATE_OR_COUNT = re.compile(r"\+?0*[1-9]\d*(?:\.0+)?|\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}.*")


# --------------------------------------------------------------------------------------------
# What each row says (vectorised)
# --------------------------------------------------------------------------------------------


@dataclass
class RowOptOuts:
    """Per row of a chunk: the opt-out status it says (None: none) and, for rows an opt-out
    column puts in doubt, the reason they are rejected (None elsewhere); per permission
    column (frame key), the rows that say no."""

    status: np.ndarray  # object: "unsubscribed", "bounced" or None
    doubt: np.ndarray  # object: packed parameters of reason "bad_opt_out", or None
    said_no: dict[str, np.ndarray] = field(default_factory=dict)  # bool, per row


def row_opt_outs(frame: pd.DataFrame, columns: Sequence[OptOutColumn]) -> RowOptOuts:
    """Read every opt-out column of one chunk (see the module doc for the rules)."""
    n = len(frame)
    unsub = np.zeros(n, dtype=bool)
    bounce = np.zeros(n, dtype=bool)
    doubt = np.full(n, None, dtype=object)
    said_no: dict[str, np.ndarray] = {}
    for oc in columns:
        raw = _text(frame[oc.column])
        cells = fold_column(raw)
        if oc.kind in ("status", "subscription", "permission"):
            # An opt-out word is one in any of these columns, whatever the reading.
            means = np.fromiter(map(OPT_OUT_WORDS.get, cells), dtype=object, count=n)
            word_unsub, word_bounce = means == UNSUBSCRIBED, means == BOUNCED
            unsub |= word_unsub
            bounce |= word_bounce
            if oc.kind == "status":
                continue
            no = _member(cells, CONSENT_NO)
            if oc.kind == "permission":
                said_no[oc.column] = no
            if oc.means is not None:
                unsub |= no
            if oc.kind == "subscription":
                odd = ~word_unsub & ~word_bounce & ~no
                odd &= ~_member(cells, CONSENT_YES) & ~_member(cells, _NOTHING)
                _doubt(doubt, np.flatnonzero(odd), oc.header, raw)
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
                _doubt(doubt, rest[~dated], oc.header, raw)
        (unsub if oc.means == UNSUBSCRIBED else bounce)[yes] = True
    return RowOptOuts(status=_status(unsub, bounce), doubt=doubt, said_no=said_no)


def _doubt(doubt: np.ndarray, odd: np.ndarray, header: str, raw: np.ndarray) -> None:
    """Rows whose cell in an opt-out column says neither yes nor no: the parameters of reason
    "bad_opt_out", packed (reasons.SEP); the first such column of a row is the one named."""
    odd = odd[is_none(doubt[odd])]
    if len(odd):
        doubt[odd] = [f"{header}{SEP}{v.strip()}" for v in raw[odd]]


# --------------------------------------------------------------------------------------------
# Opt-out words in any other column (vectorised, with a prefilter)
# --------------------------------------------------------------------------------------------

#: ASCII lowercase, and the bytes :func:`_may_hold_opt_out_word` deletes: whitespace, the
#: sentence punctuation a compare form drops at a cell's end, and every byte of a non-ASCII
#: character (invisible ones included).
_LOWER = bytes.maketrans(bytes(range(65, 91)), bytes(range(97, 123)))
_SKIPPED = b" \t\n\r\f\v.,;:!?" + bytes(range(128, 256))


def _stripped(text: str) -> bytes:
    """``text`` lowercased, without whitespace, the punctuation compare forms drop at a cell's
    end, and non-ASCII characters."""
    # Every byte of a character beyond ASCII is 128 or more in UTF-8, so deleting those
    # deletes the character: no error handler runs per character, as "ignore" would.
    return text.encode("utf-8", "surrogatepass").translate(_LOWER, _SKIPPED)


#: The opt-out words stripped so: by length (a lookup table) and by their first four bytes
#: (every one has at least four) read as one number.
_STRIPPED_WORDS = frozenset(_stripped(w) for w in OPT_OUT_WORDS)
if min(map(len, _STRIPPED_WORDS)) < 4:  # a lexicon edit the four-byte window cannot serve
    raise AssertionError("every opt-out word needs four ASCII letters or digits")
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

    A column the prefilter clears (nearly all columns) costs a few C-level passes over it;
    only the others are put in compare form.
    """
    found: dict[str, np.ndarray] = {}
    for key in columns:
        col = frame[key]
        cells = col.to_numpy(dtype=object)
        try:
            maybe = _may_hold_opt_out_word(_distinct_cells(cells))
        except TypeError:  # readers give text only; be forgiving all the same
            cells = _text(col)
            maybe = _may_hold_opt_out_word(cells)
        if not maybe:
            continue
        forms = fold_column(cells)
        means = np.fromiter(map(OPT_OUT_WORDS.get, forms), dtype=object, count=len(forms))
        if not is_none(means).all():
            found[key] = means
    return found


def _may_hold_opt_out_word(cells: np.ndarray) -> bool:
    """False only when no cell's compare form is an opt-out word: a few C passes.

    A cell whose compare form is an opt-out word holds that word's ASCII characters (either
    case) with nothing between them but whitespace, characters that compare forms drop and
    the word's own non-ASCII letters; so stripped of those (:func:`_stripped`) it is the
    word stripped the same way. The cells are joined between a separator and stripped, with
    the folded forms of those whose fold may differ after them (:func:`_folded_forms`);
    numpy then finds the stripped pieces of a word's length whose first four bytes begin a
    word. A cell holding the separator only adds pieces, none of which is a word's.
    """
    text = _UNIT.join(cells)
    data = _stripped(text)
    if not text.isascii():
        data += _UNIT_BYTE + _folded_forms(cells, text, data)
    arr = np.frombuffer(_UNIT_BYTE + data + _UNIT_BYTE, dtype=np.uint8)
    bars = np.flatnonzero(arr == _UNIT_BYTE[0])
    lengths = np.diff(bars) - 1
    starts = bars[:-1][_WORD_LENGTH[np.minimum(lengths, len(_WORD_LENGTH) - 1)]] + 1
    if not len(starts):
        return False
    heads = arr[starts[:, None] + _FOUR].view("<u4").ravel()
    return bool(np.isin(heads, _WORD_HEADS).any())


def _distinct_cells(cells: np.ndarray) -> np.ndarray:
    """The column's distinct cells when it has few (a status, an industry, a size band),
    else the column itself: the prefilter's answer is the same on both, as it looks at each
    cell alone. Readers share one object per value repeated in a chunk (pandas' parser does),
    so the set costs a pass over pointers with their hashes cached; a sample first keeps a
    column of mostly different values (notes, phones) from paying for it."""
    n = len(cells)
    if n < 4 * _SAMPLE or len(set(cells[:_SAMPLE].tolist())) > _SAMPLE // 8:
        return cells
    distinct = set(cells.tolist())
    if len(distinct) > n // 8:
        return cells
    out = np.empty(len(distinct), dtype=object)
    out[:] = list(distinct)
    return out


#: Cells of a column sampled before its distinct cells are counted.
_SAMPLE = 1024


def _folded_forms(cells: np.ndarray, text: str, data: bytes) -> bytes:
    """The stripped compare forms of the cells of a column that is not all ASCII whose fold
    may differ from their lowercase (``text``: the cells joined, ``data``: it stripped).

    Those are the cells beyond ASCII, but for the ones with more ASCII characters (whitespace
    and sentence punctuation aside) than the longest opt-out word has characters: folding
    never makes a cell shorter than that count, as each such character stays one (perhaps
    composed with a mark after it). So a column of long notes in several scripts is not
    folded.
    """
    n = len(cells)
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == _UNIT_BYTE[0])
    if len(ends) != n - 1:  # a cell holds the separator: fold them all
        return _stripped(fold_text(text))
    ascii_length = np.diff(ends, prepend=-1, append=len(data)) - 1
    plain = np.fromiter(map(str.isascii, cells), dtype=bool, count=n)
    return _stripped(fold_text(_UNIT.join(cells[~plain & (ascii_length <= _LONGEST_WORD)])))


#: The separator of the joined cells (kept by :func:`_stripped` and by folding; cells hold it
#: very rarely).
_UNIT = "\x1f"
_UNIT_BYTE = _UNIT.encode()
#: The longest opt-out word's compare form, in characters.
_LONGEST_WORD = max(map(len, OPT_OUT_WORDS))


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
