"""The forms headers and cells are compared in.

:func:`header_words` splits a header into the words a person reads (``contact_first_name``,
``HasOptedOutOfEmail``, ``E-Mail-Adresse``, ``Correo electrónico``); :func:`normalise_header`
is the form a column named in ``--map`` or a mapping file is found by; :func:`compare_form`
and :func:`compare_forms` give the form cells are compared in (invisible characters dropped,
non-breaking and other odd spaces made plain, runs of spaces collapsed, lowercased), the
second vectorised for a whole column.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from .lexicon import lexicon

# Zero-width and other invisible characters a copy-paste leaves in a cell ("Replied\u200b"),
# dropped; non-breaking and typographic spaces, made plain spaces.
_INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e"
_ODD_SPACES = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
_ODD_SPACES += "\u202f\u205f\u3000\t\r\f\v"
_TRANSLATE = {**dict.fromkeys(map(ord, _INVISIBLE)), **dict.fromkeys(map(ord, _ODD_SPACES), " ")}
_SPACE_RUNS = re.compile(r" {2,}")


def compare_form(text: str) -> str:
    """``text`` as cells are compared: invisible characters dropped, odd spaces plain,
    spaces collapsed and trimmed, lowercased (``" Un\\u00a0subscribed\\u200b"`` ->
    ``"un subscribed"``)."""
    return " ".join(text.translate(_TRANSLATE).lower().split())


def compare_forms(values: np.ndarray) -> np.ndarray:
    """:func:`compare_form` of every cell of an object array of ``str`` (one C-level pass
    over the joined column in the usual case: plain ASCII without double spaces)."""
    n = len(values)
    joined = "\n".join(values)
    if joined.count("\n") != n - 1 and n:
        joined = "\n".join(v.replace("\n", " ") for v in values)
    if not joined.isascii() or any(c in joined for c in "\t\r\f\v"):
        joined = joined.translate(_TRANSLATE)
    joined = joined.lower()
    if "  " in joined:
        joined = _SPACE_RUNS.sub(" ", joined)
    lines = joined.split("\n") if n else []
    out = np.empty(n, dtype=object)
    out[:] = [line.strip(" ") for line in lines] if " " in joined else lines
    return out


def normalise_header(text: str) -> str:
    """The form a column named by the user is found in: casefolded, letters and digits only.

    ``"E-mail"``, ``"email"`` and ``" E_MAIL "`` all become ``"email"``;
    ``"Person Linkedin Url"`` becomes ``"personlinkedinurl"``.
    """
    return re.sub(r"[\W_]+", "", text.casefold())


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=[0-9])")
_WORD = re.compile(r"[a-z0-9]+")
# Letters that carry no combining accent to strip but read as Latin ones (Polish ł, ß, ø).
_FOLD = str.maketrans({"ł": "l", "Ł": "L", "ß": "ss", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE"})


@lru_cache(maxsize=4096)
def header_words(header: str) -> tuple[str, ...]:
    """The words of a header, lowercased and without accents: camelCase, snake_case,
    punctuation, brackets and digits split (``"HasOptedOutOfEmail"`` -> has opted out of email;
    ``"E-Mail-Adresse"`` -> email adresse; ``"Correo electrónico"`` -> correo electronico)."""
    decomposed = unicodedata.normalize("NFKD", header.translate(_FOLD))
    text = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = _WORD.findall(_CAMEL.sub(" ", text).lower())
    joins = lexicon().joins
    out: list[str] = []
    for word in words:
        if out and (out[-1], word) in joins:
            out[-1] = joins[(out[-1], word)]
        else:
            out.append(word)
    return tuple(out)


def header_key(header: str) -> str:
    """A header's words run together: the form listed headers are matched in
    (``"E-mail 1 - Value"`` and ``"email1Value"`` are ``"email1value"``)."""
    return "".join(header_words(header))


def has_phrase(words: Sequence[str], phrase: Sequence[str]) -> bool:
    """Do ``words`` hold the words of ``phrase`` consecutively?"""
    wanted = tuple(phrase)
    n = len(wanted)
    return any(tuple(words[i : i + n]) == wanted for i in range(len(words) - n + 1))
