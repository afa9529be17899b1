"""The compare form of a cell, for the words the importer reads in values (opt-outs, consent,
statuses): the same word however it was typed, pasted or disguised.

:func:`fold` of one value, :func:`fold_column` of a whole column at once. In order: Unicode
NFKC (full-width ``ＵＮＳＵＢＳＣＲＩＢＥＤ``, ligatures, odd spaces), invisible characters
dropped (zero-width, soft hyphen, BOM, bidi marks, variation selectors), the other odd spaces
made plain, letters of other scripts that look like Latin ones folded to them (Unicode TR39
confusables: a Cyrillic ``е`` inside ``unsubscrіbеd``), casefolded, runs of spaces collapsed and
trimmed, and trailing sentence punctuation dropped (``Unsubscribed.``). A cell that is only
punctuation keeps it (``?`` is not an empty cell).

The lexicon's words go through the same fold, so a word of any script still meets itself.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

from foxreach_cli.confusable_letters import LOOK_ALIKES

#: Characters a copy-paste or an export leaves in a cell that nobody sees: zero-width
#: characters, soft hyphen, BOM, word joiners, bidi marks/embeddings/isolates, the Mongolian
#: vowel separator, the combining grapheme joiner and variation selectors (``✔️``).
INVISIBLE = (
    "\u00ad\u034f\u061c\u180e\u200b\u200c\u200d\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064"
    "\u2066\u2067\u2068\u2069\ufeff" + "".join(map(chr, range(0xFE00, 0xFE10)))
)
#: Spaces NFKC leaves alone and control whitespace, made plain spaces (a line break inside a
#: cell is made one before the column is joined).
_ODD_SPACES = "\t\r\f\v\u1680\u2028\u2029\x85"


def _look_alike_table() -> dict[int, str]:
    """Each look-alike -> its Latin letters, lowercase; a capital look-alike's casefold
    (Cyrillic ``Т`` -> ``т``) stands for the same letters when it is not a look-alike of its
    own, so a word folds the same in either case."""
    table = {ord(c): latin.lower() for latin, chars in LOOK_ALIKES.items() for c in chars}
    for latin, chars in LOOK_ALIKES.items():
        for folded in (c.casefold() for c in chars):
            if len(folded) == 1 and not folded.isascii():
                table.setdefault(ord(folded), latin.lower())
    return table


_TABLE: dict[int, str | None] = {
    **dict.fromkeys(map(ord, INVISIBLE)),
    **dict.fromkeys(map(ord, _ODD_SPACES), " "),
    **_look_alike_table(),
}
#: The part of the table an ASCII column needs.
_ASCII_TABLE = {k: v for k, v in _TABLE.items() if k < 128}

#: Sentence punctuation dropped at the end of a cell (after NFKC: ``。`` and ``、`` are not
#: folded to ASCII by it).
_TRAILING = ".,;:!?\u3002\u3001"
_LEADING_SPACES = re.compile(r"\n +")
_TRAILING_SPACES = re.compile(r" +(?=\n)")
#: Trailing punctuation, with the spaces among it, at the end of a line (the spaces before it
#: go with the trailing spaces after; a pattern that starts with a space is slow to scan).
_TRAILING_PUNCTUATION = re.compile(rf"[{_TRAILING}][ {_TRAILING}]*(?=\n)")
_SPACE_RUNS = re.compile(r" {2,}")


def fold(text: str) -> str:
    """The compare form of one value (see the module doc):
    ``" Unsubscrіbеd.\\u200b"`` (Cyrillic і and е) -> ``"unsubscribed"``."""
    return str(fold_column(np.array([text], dtype=object))[0])


def fold_column(values: np.ndarray) -> np.ndarray:
    """:func:`fold` of every cell of an object array of ``str``, as an object array.

    The column is joined into one text and folded in a few C-level passes (all of the steps
    above act on one character at a time, or on one line); a column of plain ASCII skips
    NFKC, the look-alikes and casefolding (``lower`` is the same there).
    """
    n = len(values)
    if not n:
        return np.empty(0, dtype=object)
    joined = "\n".join(values)
    if joined.count("\n") != n - 1:  # a cell with a line break of its own: make it a space
        joined = "\n".join(v.replace("\n", " ").replace("\r", " ") for v in values)
    if joined.isascii():
        if any(c in joined for c in "\t\r\f\v"):
            joined = joined.translate(_ASCII_TABLE)
        joined = joined.lower()
    else:
        joined = fold_text(joined)
    # Sentinels: every line, the first and the last too, lies between two "\n". Each regex
    # runs only where a cheap substring test says it has something to do.
    joined = f"\n{joined}\n"
    if "  " in joined:
        joined = _SPACE_RUNS.sub(" ", joined)
    if "\n " in joined:
        joined = _LEADING_SPACES.sub("\n", joined)
    if " \n" in joined:
        joined = _TRAILING_SPACES.sub("", joined)
    if any(f"{p}\n" in joined for p in _TRAILING):
        joined = _TRAILING_PUNCTUATION.sub(_drop_after_text, joined)
        if " \n" in joined:  # the spaces before the punctuation
            joined = _TRAILING_SPACES.sub("", joined)
    out = np.empty(n, dtype=object)
    out[:] = joined[1:-1].split("\n")
    return out


def fold_text(text: str) -> str:
    """NFKC, invisible characters, odd spaces and look-alikes, casefold, over a whole text of
    joined cells: each of these steps acts on one character at a time, so a separator
    (``"\\n"``, ``"|"``) stays where it was (spaces and trailing punctuation are left to
    :func:`fold_column`)."""
    text = _translated(unicodedata.normalize("NFKC", text)).casefold()
    # Again after the casefold: it can undo NFKC (U+01F0) and lowercases capitals that the
    # table knows only in their other case.
    return _translated(unicodedata.normalize("NFKC", text))


def _translated(text: str) -> str:
    # str.translate with a dict costs a lookup per character of the column; instead numpy
    # finds which of the table's characters occur (most non-ASCII columns, names and
    # addresses, hold none or few), and each is replaced in one C pass.
    for space in _ASCII_SPACES:
        if space in text:
            text = text.replace(space, " ")
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    high = codes[codes > 127]
    if len(high):
        for code in np.intersect1d(high, _TABLE_CODES).tolist():
            text = text.replace(chr(code), _TABLE[code] or "")
    return text


_TABLE_CODES = np.array(sorted(c for c in _TABLE if c > 127), dtype=np.uint32)
_ASCII_SPACES = "".join(chr(c) for c in _TABLE if c < 128)


def _drop_after_text(match: re.Match[str]) -> str:
    """Trailing punctuation goes when it follows text; a cell of punctuation only keeps it."""
    return match.group() if match.string[match.start() - 1] == "\n" else ""
