"""Splitting a full-name cell into a lead's firstName and lastName.

Plain ``First Last`` and ``Last, First`` cells (two words of Latin letters, neither a title,
suffix, surname particle or conjunction) are split by a fast path with no parser call: they
are most cells of a real list, and python-nameparser parses only a few thousand names a
second. Every other cell goes to nameparser, which knows honorifics (``Dr.``), suffixes
(``Jr.``, ``M.D.``), surname particles (``van``) and the ``Last, First[, Suffix]`` order.
Honorifics, suffixes, nicknames and middle names go to neither field: the original cell is
kept where the mapping keeps it (a custom field, see docs/mapping.md). A cell holding an
email address, or no letter, is not a name and is not split; nor is a company's name
(``Acme Inc``, ``Globex LLC``: a word after the first is a legal form or a word only company
names end with: the lexicon's ``[names] company_words``). Emoji and other symbols are not
part of a name (``🚀 Ada King`` is Ada King; ``🚀`` alone is no name). A name in a CJK
script is family name first.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import cache

from foxreach_cli.mapping.lexicon import lexicon

_LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
# Letters, joined by single apostrophes or hyphens (O'Neil, Lévy-Dubois): nameparser reads
# other runs of punctuation its own way.
_WORD = f"([{_LATIN}]+(?:['’-][{_LATIN}]+)*)"
#: Two words of Latin letters (apostrophes and hyphens inside): "First Last" or "Last, First".
_PLAIN = re.compile(f"{_WORD}( |, ?){_WORD}")


@cache
def _special_words() -> tuple[frozenset[str], frozenset[str]]:
    """Lowercase words that make nameparser read a two-word name other than as (first, last):
    (not a first word, not a last word). Loaded on first use: ``map`` and a dry run split no
    name and should not pay for importing nameparser (docs/mapping.md)."""
    from nameparser.config import CONSTANTS

    either = frozenset(CONSTANTS.conjunctions) | frozenset(CONSTANTS.prefixes)
    not_first = frozenset(CONSTANTS.titles) | either
    not_last = frozenset(CONSTANTS.suffix_acronyms) | frozenset(CONSTANTS.suffix_not_acronyms)
    return not_first, not_last | either


#: Han, kana, Hangul: names written family name first.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_LETTER = re.compile(r"[^\W\d_]")


def company_words() -> frozenset[str]:
    """The words that make a cell a company's name (the lexicon's ``[names] company_words``)."""
    return lexicon().company_words


_FORM_PUNCTUATION = str.maketrans("", "", ".,()&")


def is_company(cell: str) -> bool:
    """Does the cell read as a company's name: its last word is a legal form or a company
    word (``Acme Inc``, ``Globex L.L.C.``), or another word after the first is one of four
    letters or more (``Initech GmbH & Co. KG``)? A short form inside a name
    (``Kim Sa Rang``) is not enough."""
    words = [w.translate(_FORM_PUNCTUATION).casefold() for w in cell.split()]
    words = [w for w in words if w]
    if len(words) < 2:
        return False
    listed = company_words()
    return words[-1] in listed or any(len(w) >= 4 and w in listed for w in words[1:-1])


def _without_symbols(text: str) -> str:
    """The text without emoji and other symbols (and the joiners that build emoji)."""
    if text.isascii():
        return text
    kept = [
        c
        for c in text
        if unicodedata.category(c) not in _SYMBOL_CATEGORIES and c not in _EMOJI_JOINERS
    ]
    return " ".join("".join(kept).split())


#: Symbols (So: emoji, dingbats; Sk: skin-tone modifiers; Cs: lone surrogates) and the
#: characters that join or style emoji (zero-width joiner, variation selectors).
_SYMBOL_CATEGORIES = frozenset({"So", "Sk", "Cs"})
_EMOJI_JOINERS = frozenset("\u200d\ufe0e\ufe0f\u20e3")


def split_full_name(cell: str) -> tuple[str, str]:
    """(first, last) of one full-name cell, each "" when the cell has none.

    ``"Ada King"`` -> (Ada, King); ``"King, Ada, Jr."``, ``"Dr. Ada King"`` and
    ``"Ada King, M.D."`` -> (Ada, King); ``"Jan van Dijk"`` -> (Jan, van Dijk); one word is a
    first name only; ``"山田 太郎"`` -> (太郎, 山田); an email address -> ("", ""). Case and
    spelling stay as written.
    """
    text = _without_symbols(cell.strip())
    if is_company(text):
        return "", ""
    match = _PLAIN.fullmatch(text)
    if match is not None:
        first, sep, last = match.groups()
        if sep != " ":
            first, last = last, first
        not_first, not_last = _special_words()
        if first.lower() not in not_first and last.lower() not in not_last:
            return first, last
    if not is_name(text):
        return "", ""
    words = text.split()
    if len(words) == 1 and "," not in text and "." not in text:
        # One word is a first name, also when nameparser knows it as a title ("Prince") or
        # a particle; "Dr." alone is left to the parser (a title, no name).
        return text, ""
    if _CJK.search(text) is not None:
        return " ".join(words[1:]), words[0]
    return _parse(" ".join(words))


def _parse(text: str) -> tuple[str, str]:
    """(first, last) as nameparser reads ``text``."""
    from nameparser import HumanName

    name = HumanName(text)
    return name.first, name.last


def is_name(cell: str) -> bool:
    """Could this cell be a person's name: a letter, and no email address, digit or company
    word?"""
    return (
        "@" not in cell
        and _LETTER.search(cell) is not None
        and not any(ch.isdigit() for ch in cell)
        and not is_company(cell)
    )


def name_evidence(values: Sequence[str]) -> tuple[int, int]:
    """(cells that read as names, non-empty cells) among sampled ``values``."""
    cells = [v.strip() for v in values if v.strip()]
    return sum(is_name(v) for v in cells), len(cells)
