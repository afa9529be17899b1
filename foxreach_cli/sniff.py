"""What a column's header words and sampled values look like, for value-aware mapping.

:func:`header_words` splits a header into the words a person reads (``contact_first_name``,
``HasOptedOutOfEmail``, ``E-Mail-Adresse``, ``Correo electrónico``); the ``looks_*``
predicates say whether one sampled value is an email address, a LinkedIn profile, a web
address or domain, a phone number; :func:`compare_form` and :func:`compare_forms` give the
form cells are compared in (invisible characters dropped, non-breaking and other odd spaces
made plain, runs of spaces collapsed, lowercased), the second vectorised for a whole column.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .cell_rules import NULL_CELLS

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


# --------------------------------------------------------------------------------------------
# Header words
# --------------------------------------------------------------------------------------------

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORD = re.compile(r"[a-z0-9]+")
#: Word pairs that a split cuts apart but a person reads as one word.
_JOIN = {("e", "mail"): "email", ("linked", "in"): "linkedin", ("web", "site"): "website"}


def header_words(header: str) -> tuple[str, ...]:
    """The words of a header, lowercased and without accents: camelCase, snake_case,
    punctuation and brackets split (``"HasOptedOutOfEmail"`` -> has opted out of email;
    ``"E-Mail-Adresse"`` -> email adresse; ``"Correo electrónico"`` -> correo electronico)."""
    text = "".join(c for c in unicodedata.normalize("NFKD", header) if not unicodedata.combining(c))
    words = _WORD.findall(_CAMEL.sub(" ", text).lower())
    out: list[str] = []
    for word in words:
        if out and (out[-1], word) in _JOIN:
            out[-1] = _JOIN[(out[-1], word)]
        else:
            out.append(word)
    return tuple(out)


def has_phrase(words: Sequence[str], phrase: str) -> bool:
    """Do ``words`` hold the words of ``phrase`` consecutively?"""
    wanted = tuple(phrase.split())
    n = len(wanted)
    return any(tuple(words[i : i + n]) == wanted for i in range(len(words) - n + 1))


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------

_EMAIL = re.compile(r"(?:mailto:)?[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;.]{2,}", re.IGNORECASE)
_LINKEDIN = re.compile(r"(?:^|[/.])linkedin\.com/(?:in|pub)/[^/\s]", re.IGNORECASE)
_URL = re.compile(
    r"(?:https?://)?(?:www\.)?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)*\.[a-z]{2,}"
    r"(?::\d+)?(?:[/?#]\S*)?/?",
    re.IGNORECASE,
)
_PHONE_CHARS = re.compile(r"'?\+?[\d\s().\-/]{6,}(?:\s*(?:x|ext\.?|extension|#)\s*\d{1,6})?")


def looks_email(value: str) -> bool:
    """One address, as an export writes it (``mailto:`` allowed)."""
    return _EMAIL.fullmatch(value.strip()) is not None


def looks_linkedin(value: str) -> bool:
    """A LinkedIn profile (``linkedin.com/in/...`` or ``/pub/...``), with or without scheme."""
    return _LINKEDIN.search(value.strip()) is not None


def looks_url(value: str) -> bool:
    """A web address or a bare domain (``https://acme.com/x``, ``www.acme.com``,
    ``acme.co.uk``), not an email address."""
    text = value.strip()
    return "@" not in text and _URL.fullmatch(text) is not None


def looks_phone(value: str) -> bool:
    """A phone number: 6 to 20 digits with the usual separators, a leading + or Excel's
    text marker, an optional extension."""
    text = value.strip()
    if _PHONE_CHARS.fullmatch(text) is None:
        return False
    return 6 <= sum(c.isdigit() for c in text) <= 24


@dataclass(frozen=True)
class Fit:
    """How many of a column's sampled values fit a field: the evidence ``map`` shows."""

    fit: int  # values that fit
    seen: int  # non-empty values looked at (nulls aside)
    example: str = ""  # the first value that does NOT fit ("" when all do)

    @property
    def most(self) -> bool:
        """More than half fit (integer arithmetic: no rounding at the edge)."""
        return 2 * self.fit > self.seen

    @property
    def few(self) -> bool:
        """Fewer than half fit, of at least one value: the values plainly say otherwise."""
        return self.seen > 0 and 2 * self.fit < self.seen

    def share(self, what: str) -> str:
        """``"7 of 8 values looked at are email addresses"``."""
        return f"{self.fit} of {self.seen} values looked at are {what}"


def fit_of(values: Sequence[str], test: Callable[[str], bool]) -> Fit:
    """Count the sampled ``values`` (blank and null cells aside) that pass ``test``."""
    seen = fit = 0
    example = ""
    for value in values:
        text = value.strip()
        if not text or text in NULL_CELLS:
            continue
        seen += 1
        if test(text):
            fit += 1
        elif not example:
            example = text
    return Fit(fit, seen, example)
