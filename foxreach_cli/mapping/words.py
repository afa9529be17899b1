"""The forms headers are compared in (cells: :mod:`foxreach_cli.text_fold`).

:func:`header_words` splits a header into the words a person reads (``contact_first_name``,
``HasOptedOutOfEmail``, ``E-Mail-Adresse``, ``Correo electrónico``); :func:`normalise_header`
is the form a column named in ``--map`` or a mapping file is found by.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from .lexicon import lexicon


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
