"""What sampled values look like: an email address, a LinkedIn profile, a web address or
domain, a phone number, a name prefix; and :class:`Fit`, how many of a column's sampled
values pass such a test (the evidence ``map`` shows)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from foxreach_cli.cell_rules import NULL_CELLS

from .lexicon import lexicon

_EMAIL = re.compile(r"(?:mailto:)?[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;.]{2,}", re.IGNORECASE)
_LINKEDIN = re.compile(r"(?:^|[/.])linkedin\.com/(?:in|pub)/[^/\s]", re.IGNORECASE)
_URL = re.compile(
    r"(?:https?://)?(?:www\.)?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)*\.[a-z]{2,}"
    r"(?::\d+)?(?:[/?#]\S*)?/?",
    re.IGNORECASE,
)


@cache
def _phone_chars() -> re.Pattern[str]:
    """Digits with the usual separators, then an extension the lexicon's words introduce."""
    words = sorted(lexicon().phone_extensions, key=len, reverse=True)
    extension = "|".join(re.escape(w) for w in words)
    return re.compile(rf"'?\+?[\d\s().\-/]{{6,}}(?:\s*(?:{extension})\s*\d{{1,6}})?")


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
    if _phone_chars().fullmatch(text) is None:
        return False
    return 6 <= sum(c.isdigit() for c in text) <= 24


def is_name_prefix(value: str) -> bool:
    """A name prefix (Mr., Ms., Dr., Frau, Mme: the lexicon's), not a job title."""
    return value.strip().rstrip(".").casefold() in lexicon().name_prefixes


def is_blank_cell(value: str) -> bool:
    """An empty or null cell (``NULL_CELLS``), which no test counts."""
    text = value.strip()
    return not text or text in NULL_CELLS


def is_null(value: str) -> bool:
    """A null cell (``NULL_CELLS``: the word null); an empty cell is not."""
    return value.strip() in NULL_CELLS


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
